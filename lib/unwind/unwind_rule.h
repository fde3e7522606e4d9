// Unwind rules: what libdw's CFI says about one address, copied into a compact form
// that is cheap to keep per (binary, address) and to apply to many samples.
//
// Takes: a Dwarf_Frame (the CFI row for an address). Gives: a rule that turns the
// registers of a frame into its caller's, reading memory only from the stack copy.
#pragma once

#include <elfutils/libdw.h>

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "unwind/registers.h"
#include "unwind/stack_copy.h"

namespace spanprof::unwind {

// Why applying a rule failed; kNone when it did not.
enum class StepError : uint8_t {
  kNone,
  kMissingRegister,     // the rule needs a register the sample did not record
  kStackCopyExhausted,  // the rule reads memory outside the copied stack
  kUnsupported,         // a DWARF operation this evaluator does not know
  kReturnAddressUndefined,  // CFI marks the outermost frame (e.g. _start)
};

// One operation of a DWARF expression, as libdw decodes it.
struct ExprOp {
  uint8_t atom = 0;
  uint64_t number = 0;
  uint64_t number2 = 0;
};

enum class RuleKind : uint8_t {
  kUndefined,  // the caller's value cannot be recovered
  kSameValue,  // unchanged by this frame
  kLocation,   // the expression gives the address where the caller's value is saved
  kValue,      // the expression gives the caller's value itself
};

// A slice of the table's operation pool.
struct Expr {
  uint32_t first = 0;
  uint16_t count = 0;
  RuleKind kind = RuleKind::kUndefined;
};

struct UnwindRule {
  Expr cfa;
  std::array<Expr, kDwarfRegisterCount> registers;
};

class RuleTable {
 public:
  // Copies frame's rules into the table; nullopt when the CFI row cannot be read.
  std::optional<uint32_t> add(Dwarf_Frame* frame);

  const UnwindRule& rule(uint32_t index) const { return rules_[index]; }
  size_t size() const { return rules_.size(); }

  // The caller's registers from callee's, with caller's rsp = the CFA. Registers whose
  // saved value cannot be read are left unknown; the return address must be known.
  StepError step(const UnwindRule& rule, const RegisterSet& callee, const StackCopy& stack,
                 RegisterSet& caller) const;

 private:
  // Evaluates expr; cfa is pushed first for register rules (DWARF 5, 6.4.2).
  StepError evaluate(const Expr& expr, const RegisterSet& regs, const StackCopy& stack,
                     std::optional<uint64_t> cfa, uint64_t& result) const;
  Expr intern(const Dwarf_Op* ops, size_t count, RuleKind kind);

  std::vector<ExprOp> ops_;
  std::vector<UnwindRule> rules_;
};

}  // namespace spanprof::unwind
