#include "unwind/unwind_rule.h"

#include <dwarf.h>

#include <limits>

namespace spanprof::unwind {
namespace {

// CFI expressions on x86_64 are short (the PLT's is 9 operations); deeper stacks are
// corrupt input.
constexpr size_t kMaxExprStack = 32;

// The DWARF register an operation names, for DW_OP_reg*/breg* (-1 otherwise).
int register_of(const ExprOp& op) {
  if (op.atom >= DW_OP_reg0 && op.atom <= DW_OP_reg31) return op.atom - DW_OP_reg0;
  if (op.atom >= DW_OP_breg0 && op.atom <= DW_OP_breg31) return op.atom - DW_OP_breg0;
  if (op.atom == DW_OP_regx || op.atom == DW_OP_bregx) {
    return op.number < kDwarfRegisterCount ? static_cast<int>(op.number) : kDwarfRegisterCount;
  }
  return -1;
}

bool is_register_location(uint8_t atom) {
  return (atom >= DW_OP_reg0 && atom <= DW_OP_reg31) || atom == DW_OP_regx;
}

}  // namespace

Expr RuleTable::intern(const Dwarf_Op* ops, size_t count, RuleKind kind) {
  Expr expr;
  expr.first = static_cast<uint32_t>(ops_.size());
  expr.kind = kind;
  // libdw marks value rules with a final DW_OP_stack_value; the kind says it instead.
  if (count > 0 && ops[count - 1].atom == DW_OP_stack_value) {
    expr.kind = RuleKind::kValue;
    --count;
  }
  // A location "in register N" (DW_CFA_register) is that register's value.
  if (count == 1 && is_register_location(ops[0].atom)) expr.kind = RuleKind::kValue;
  for (size_t i = 0; i < count; ++i) ops_.push_back({ops[i].atom, ops[i].number, ops[i].number2});
  expr.count = static_cast<uint16_t>(count);
  return expr;
}

std::optional<uint32_t> RuleTable::add(Dwarf_Frame* frame) {
  UnwindRule rule;
  Dwarf_Op* ops = nullptr;
  size_t count = 0;
  if (dwarf_frame_cfa(frame, &ops, &count) != 0 || count == 0 ||
      count > std::numeric_limits<uint16_t>::max()) {
    return std::nullopt;
  }
  rule.cfa = intern(ops, count, RuleKind::kValue);
  for (int regno = 0; regno < kDwarfRegisterCount; ++regno) {
    Dwarf_Op ops_mem[3];
    ops = nullptr;
    count = 0;
    Expr& expr = rule.registers[static_cast<size_t>(regno)];
    if (dwarf_frame_register(frame, regno, ops_mem, &ops, &count) != 0) {
      expr.kind = RuleKind::kUndefined;
    } else if (count == 0) {
      // libdw.h: no operations and a null pointer is "same value", ops_mem "undefined".
      expr.kind = ops == nullptr ? RuleKind::kSameValue : RuleKind::kUndefined;
    } else if (count > std::numeric_limits<uint16_t>::max()) {
      return std::nullopt;
    } else {
      expr = intern(ops, count, RuleKind::kLocation);
    }
  }
  rules_.push_back(rule);
  return static_cast<uint32_t>(rules_.size() - 1);
}

StepError RuleTable::evaluate(const Expr& expr, const RegisterSet& regs, const StackCopy& stack,
                              std::optional<uint64_t> cfa, uint64_t& result) const {
  std::array<uint64_t, kMaxExprStack> values;
  size_t depth = 0;
  auto push = [&](uint64_t v) {
    if (depth == values.size()) return false;
    values[depth++] = v;
    return true;
  };
  if (cfa && !push(*cfa)) return StepError::kUnsupported;

  for (uint32_t i = expr.first; i < expr.first + expr.count; ++i) {
    const ExprOp& op = ops_[i];
    if (int regno = register_of(op); regno >= 0) {
      if (!regs.has(regno)) return StepError::kMissingRegister;
      uint64_t base = regs.value[static_cast<size_t>(regno)];
      uint64_t offset = op.atom == DW_OP_bregx ? op.number2 : op.number;
      if (!push(is_register_location(op.atom) ? base : base + offset)) {
        return StepError::kUnsupported;
      }
      continue;
    }
    if (op.atom >= DW_OP_lit0 && op.atom <= DW_OP_lit31) {
      if (!push(op.atom - DW_OP_lit0)) return StepError::kUnsupported;
      continue;
    }
    switch (op.atom) {
      case DW_OP_const1u: case DW_OP_const1s: case DW_OP_const2u: case DW_OP_const2s:
      case DW_OP_const4u: case DW_OP_const4s: case DW_OP_const8u: case DW_OP_const8s:
      case DW_OP_constu: case DW_OP_consts:
        // libdw has sign-extended the signed forms into number already.
        if (!push(op.number)) return StepError::kUnsupported;
        continue;
      case DW_OP_call_frame_cfa:
        if (!cfa || !push(*cfa)) return StepError::kUnsupported;
        continue;
      case DW_OP_nop:
        continue;
      case DW_OP_dup:
        if (depth < 1 || !push(values[depth - 1])) return StepError::kUnsupported;
        continue;
      case DW_OP_over:
        if (depth < 2 || !push(values[depth - 2])) return StepError::kUnsupported;
        continue;
      default:
        break;
    }
    // The remaining operations take one or two values from the stack.
    if (op.atom == DW_OP_deref || op.atom == DW_OP_plus_uconst || op.atom == DW_OP_neg ||
        op.atom == DW_OP_not || op.atom == DW_OP_drop) {
      if (depth < 1) return StepError::kUnsupported;
      uint64_t& top = values[depth - 1];
      switch (op.atom) {
        case DW_OP_deref: {
          auto loaded = stack.read_u64(top);
          if (!loaded) return StepError::kStackCopyExhausted;
          top = *loaded;
          break;
        }
        case DW_OP_plus_uconst: top += op.number; break;
        case DW_OP_neg: top = 0 - top; break;
        case DW_OP_not: top = ~top; break;
        case DW_OP_drop: --depth; break;
      }
      continue;
    }
    if (depth < 2) return StepError::kUnsupported;
    uint64_t b = values[depth - 1];
    uint64_t& a = values[depth - 2];
    --depth;
    switch (op.atom) {
      case DW_OP_plus: a += b; break;
      case DW_OP_minus: a -= b; break;
      case DW_OP_mul: a *= b; break;
      case DW_OP_and: a &= b; break;
      case DW_OP_or: a |= b; break;
      case DW_OP_xor: a ^= b; break;
      case DW_OP_shl: a = b >= 64 ? 0 : a << b; break;
      case DW_OP_shr: a = b >= 64 ? 0 : a >> b; break;
      // Comparisons are signed (DWARF 5, 2.5.1.4).
      case DW_OP_eq: a = a == b; break;
      case DW_OP_ne: a = a != b; break;
      case DW_OP_ge: a = static_cast<int64_t>(a) >= static_cast<int64_t>(b); break;
      case DW_OP_gt: a = static_cast<int64_t>(a) > static_cast<int64_t>(b); break;
      case DW_OP_le: a = static_cast<int64_t>(a) <= static_cast<int64_t>(b); break;
      case DW_OP_lt: a = static_cast<int64_t>(a) < static_cast<int64_t>(b); break;
      case DW_OP_swap: std::swap(a, values[depth]); ++depth; break;
      default: return StepError::kUnsupported;
    }
  }
  if (depth == 0) return StepError::kUnsupported;
  result = values[depth - 1];
  return StepError::kNone;
}

StepError RuleTable::step(const UnwindRule& rule, const RegisterSet& callee,
                          const StackCopy& stack, RegisterSet& caller) const {
  uint64_t cfa = 0;
  if (StepError error = evaluate(rule.cfa, callee, stack, std::nullopt, cfa);
      error != StepError::kNone) {
    return error;
  }
  caller = RegisterSet{};
  for (int regno = 0; regno < kDwarfRegisterCount; ++regno) {
    const Expr& expr = rule.registers[static_cast<size_t>(regno)];
    bool is_return_address = regno == kDwarfReturnAddress;
    switch (expr.kind) {
      case RuleKind::kUndefined:
        if (is_return_address) return StepError::kReturnAddressUndefined;
        break;
      case RuleKind::kSameValue:
        if (callee.has(regno)) caller.set(regno, callee.value[static_cast<size_t>(regno)]);
        break;
      case RuleKind::kLocation:
      case RuleKind::kValue: {
        uint64_t value = 0;
        StepError error = evaluate(expr, callee, stack, cfa, value);
        if (error == StepError::kNone && expr.kind == RuleKind::kLocation && !is_return_address &&
            callee.has(kDwarfRsp) && value < callee.value[kDwarfRsp] && callee.has(regno)) {
          // A save slot below the stack pointer was popped already: in an epilogue
          // (after `leave` or `pop %rbp`) gcc's CFI still names the slot, but the
          // register holds the caller's value again.
          caller.set(regno, callee.value[static_cast<size_t>(regno)]);
          break;
        }
        if (error == StepError::kNone && expr.kind == RuleKind::kLocation) {
          auto loaded = stack.read_u64(value);
          if (loaded) {
            value = *loaded;
          } else {
            error = StepError::kStackCopyExhausted;
          }
        }
        if (error == StepError::kNone) {
          caller.set(regno, value);
        } else if (is_return_address) {
          // Other registers may never be needed: only the return address is required.
          return error;
        }
        break;
      }
    }
  }
  if (!caller.has(kDwarfReturnAddress)) return StepError::kMissingRegister;
  // x86_64 psABI: the CFA is the caller's stack pointer before the call.
  caller.set(kDwarfRsp, cfa);
  return StepError::kNone;
}

}  // namespace spanprof::unwind
