// The activation header's implementation compiled as C++: a build check under strict
// warnings, linked into nothing (the tests use the C one).
#define SPANPROF_ACTIVATION_IMPLEMENTATION
#include <spanprof/activation.h>
