#!/usr/bin/env python3
"""Credentials reach the servers, and nowhere else: not stdout, not stderr, not
a file of the capture directory, not the summary, not an error message built
from a server's reply that echoes them.

usage: push_secrets_test.py SPANPROF CAPTURE_DIR
"""
import base64
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from push_common import (Fault, PushServer, Tap, copy_capture, push_argv,  # noqa: E402
                         run)

USER = "pyro-user-4711"
PASSWORD = "pw-Sup3rS3cret-basic"
TOKEN = "tok-Tr4ces-S3cret-bearer"
FILE_PASSWORD = "pw-fromfile-S3cret"
FILE_TOKEN = "tok-fromfile-S3cret"


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def leaks(texts, secrets):
    return [s for s in secrets for t in texts if s in t]


def files_holding(directory, secrets):
    found = []
    for root, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                data = f.read()
            for secret in secrets:
                if secret.encode() in data:
                    found.append(f"{path}: {secret}")
    return found


def main():
    spanprof, source = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    tap = Tap()
    work = tempfile.mkdtemp(prefix="spanprof-push-secrets-")
    encoded = [basic(USER, PASSWORD).split()[1], basic(USER, FILE_PASSWORD).split()[1]]
    secrets = [PASSWORD, TOKEN, FILE_PASSWORD, FILE_TOKEN] + encoded
    try:
        env = dict(os.environ, PYRO_USER=USER, PYRO_PASSWORD=PASSWORD, TEMPO_TOKEN=TOKEN)
        basic_file = os.path.join(work, "basic")
        token_file = os.path.join(work, "token")
        with open(basic_file, "w") as f:
            f.write(f"{USER}:{FILE_PASSWORD}\n")
        with open(token_file, "w") as f:
            f.write(FILE_TOKEN + "\n")
        summary = os.path.join(work, "summary.json")
        outputs = []

        # From environment variables: basic auth to Pyroscope, a token to the traces endpoint.
        capture = copy_capture(source, os.path.join(work, "env"))
        with PushServer(expect_auth=basic(USER, PASSWORD),
                        expect_traces_auth=f"Bearer {TOKEN}") as server:
            code, out, err = run(push_argv(spanprof, capture, server.url,
                                           "--basic-auth-env", "PYRO_USER:PYRO_PASSWORD",
                                           "--traces-token-env", "TEMPO_TOKEN",
                                           "--summary-json", summary), env=env)
            outputs += [out, err]
            tap.check(code == 0, "credentials from the environment: exit 0", f"{code}\n{out}\n{err}")
            tap.check(server.violations == [], "each destination got its own credentials",
                      server.violations)
        tap.check(files_holding(capture, secrets) == [], "no secret in the capture directory")

        # From files, the other way round.
        capture = copy_capture(source, os.path.join(work, "files"))
        with PushServer(expect_auth=f"Bearer {FILE_TOKEN}",
                        expect_traces_auth=basic(USER, FILE_PASSWORD)) as server:
            code, out, err = run(push_argv(spanprof, capture, server.url,
                                           "--token-file", token_file,
                                           "--traces-basic-auth-file", basic_file), env=env)
            outputs += [out, err]
            tap.check(code == 0, "credentials from files: exit 0", f"{code}\n{out}\n{err}")
            tap.check(server.violations == [], "file credentials sent as headers", server.violations)
        tap.check(files_holding(capture, secrets) == [], "no secret in the capture directory")

        # A server that echoes the credentials in its refusal: the message is scrubbed.
        capture = copy_capture(source, os.path.join(work, "echo"))
        with PushServer() as server:
            server.fail_next("push", Fault(401, f'{{"code":"unauthenticated","message":"bad '
                                                f'Authorization: {basic(USER, PASSWORD)} and '
                                                f'{PASSWORD}"}}'.encode()))
            server.fail_next("traces", Fault(503, f"token {TOKEN} over quota".encode()))
            code, out, err = run(push_argv(spanprof, capture, server.url,
                                           "--basic-auth-env", "PYRO_USER:PYRO_PASSWORD",
                                           "--traces-token-env", "TEMPO_TOKEN",
                                           "--max-attempts", "2"), env=env)
            outputs += [out, err]
            tap.check(code == 6, "a 401 is a rejection: exit 6", f"{code}\n{out}\n{err}")
            tap.check("bad Authorization: Basic ***" in err and "token *** over quota" in err,
                      "the server's messages are quoted with the secrets replaced", err)
        tap.check(files_holding(capture, secrets) == [], "no secret in the capture directory")

        # Errors about credentials name the variable or file, never the secret.
        code, out, err = run([spanprof, "push", capture, "--server", "http://127.0.0.1:9",
                              "--basic-auth-file", token_file], env=env)
        outputs += [out, err]
        tap.check(code == 1 and token_file in err, "a malformed credentials file: exit 1", err)

        tap.check(leaks(outputs, secrets) == [], "no secret in any stdout or stderr",
                  leaks(outputs, secrets))
        tap.check(files_holding(work, secrets[:2] + encoded[:1]) == [],
                  "no secret in the summary or anywhere under the work dir but the credential files")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
