/**
 * A minimal WebAssembly binary encoder: just enough of the format (LEB128 numbers, the type, function, memory,
 * export, code and data sections, and the scalar and SIMD opcodes the resampler kernels use) to emit a module
 * from readable TypeScript instead of committing an opaque `.wasm` file.
 *
 * Opcode values follow the WebAssembly 2.0 core specification, section 5.4 (SIMD instructions are the 0xFD
 * prefix followed by a LEB128 sub-opcode).
 */

/** Module preamble: the magic `\0asm` and binary format version 1. */
const MODULE_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** Section ids used by the kernels. */
const SECTION_ID = { type: 1, function: 3, memory: 5, export: 7, code: 10, data: 11 } as const;

/** Value types the kernels use (the binary codes of `i32` and `v128`). */
export const VALTYPE = { i32: 0x7f, v128: 0x7b } as const;

/** Type code of a value type. */
export type ValType = (typeof VALTYPE)[keyof typeof VALTYPE];

/** Export kinds. */
const EXPORT_KIND = { func: 0x00, memory: 0x02 } as const;

/** Scalar opcodes the kernels use. */
export const OP = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br_if: 0x0d,
  local_get: 0x20,
  local_set: 0x21,
  local_tee: 0x22,
  i32_const: 0x41,
  i32_eqz: 0x45,
  i32_lt_s: 0x48,
  i32_add: 0x6a,
  i32_sub: 0x6b,
  i32_mul: 0x6c,
  simd_prefix: 0xfd,
} as const;

/** Block type of a block or loop that leaves nothing on the stack. */
const BLOCK_TYPE_EMPTY = 0x40;

/** SIMD sub-opcodes (after the 0xFD prefix) the kernels use. */
export const SIMD_OP = {
  v128_load: 0x00,
  v128_store: 0x0b,
  v128_const: 0x0c,
  i8x16_shuffle: 0x0d,
  f32x4_nearest: 0x6a,
  i16x8_narrow_i32x4_s: 0x85,
  i32x4_extend_low_i16x8_s: 0xa7,
  i32x4_extend_high_i16x8_s: 0xa8,
  f32x4_add: 0xe4,
  f32x4_sub: 0xe5,
  f32x4_mul: 0xe6,
  i32x4_trunc_sat_f32x4_s: 0xf8,
  f32x4_convert_i32x4_s: 0xfa,
} as const;

/** Bytes per 64 KiB WebAssembly memory page. */
export const WASM_PAGE_BYTES = 65_536;

/** Unsigned LEB128 encoding of a non-negative integer below 2^32. */
export function uleb128(value: number): number[] {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) throw new RangeError(`uleb128 needs a u32, got ${value}`);
  const bytes: number[] = [];
  let v = value;
  do {
    const byte = v % 128;
    v = Math.floor(v / 128);
    bytes.push(v === 0 ? byte : byte | 0x80);
  } while (v !== 0);
  return bytes;
}

/** Signed LEB128 encoding of a 32-bit integer (the immediate of `i32.const`). */
export function sleb128(value: number): number[] {
  if (!Number.isInteger(value) || value < -0x8000_0000 || value > 0x7fff_ffff) throw new RangeError(`sleb128 needs an i32, got ${value}`);
  const bytes: number[] = [];
  let v = value;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return bytes;
  }
}

/** A name as the binary format stores it: byte length, then UTF-8. */
function encodeName(name: string): number[] {
  const utf8 = Array.from(new TextEncoder().encode(name));
  return [...uleb128(utf8.length), ...utf8];
}

/** A vector (count-prefixed sequence) of already-encoded items. */
function encodeVector(items: number[][]): number[] {
  return [...uleb128(items.length), ...items.flat()];
}

function encodeSection(id: number, payload: number[]): number[] {
  return [id, ...uleb128(payload.length), ...payload];
}

/** Log2 of the natural alignment hint used for every `v128` access (16 bytes); unaligned addresses stay legal. */
const V128_ALIGN_LOG2 = 4;

/**
 * Builds one function body instruction by instruction. Memory offsets are the static `offset` immediate of the
 * memarg, so a kernel can address many taps from one base pointer without extra adds.
 */
export class CodeBuilder {
  private readonly bytes: number[] = [];
  private readonly localTypes: ValType[] = [];

  /** @param paramCount parameters of the function's type; they occupy the first local indices. */
  constructor(private readonly paramCount: number) {}

  /** Declares a new local of `type` and returns its index. */
  local(type: ValType): number {
    this.localTypes.push(type);
    return this.paramCount + this.localTypes.length - 1;
  }

  /** Appends raw opcode bytes. */
  op(...bytes: number[]): this {
    this.bytes.push(...bytes);
    return this;
  }

  /** Appends a SIMD instruction without immediates. */
  simd(subOpcode: number): this {
    return this.op(OP.simd_prefix, ...uleb128(subOpcode));
  }

  i32Const(value: number): this {
    return this.op(OP.i32_const, ...sleb128(value));
  }

  get(local: number): this {
    return this.op(OP.local_get, ...uleb128(local));
  }

  set(local: number): this {
    return this.op(OP.local_set, ...uleb128(local));
  }

  tee(local: number): this {
    return this.op(OP.local_tee, ...uleb128(local));
  }

  /** `v128.load` at the address on the stack plus `offset` bytes. */
  v128Load(offset: number): this {
    return this.simd(SIMD_OP.v128_load).op(...uleb128(V128_ALIGN_LOG2), ...uleb128(offset));
  }

  /** `v128.store` of the value on the stack at the address below it plus `offset` bytes. */
  v128Store(offset: number): this {
    return this.simd(SIMD_OP.v128_store).op(...uleb128(V128_ALIGN_LOG2), ...uleb128(offset));
  }

  /** `v128.const` of all zero bits (0.0 in every float lane). */
  v128Zero(): this {
    return this.simd(SIMD_OP.v128_const).op(...new Array<number>(16).fill(0));
  }

  /** `i8x16.shuffle` picking 16-bit lanes: 0-7 from the first operand, 8-15 from the second. */
  shuffle16(lanes: readonly number[]): this {
    if (lanes.length !== 8 || lanes.some((l) => !Number.isInteger(l) || l < 0 || l > 15)) {
      throw new RangeError(`shuffle16 needs 8 lane indices in 0..15, got [${lanes.join(', ')}]`);
    }
    return this.simd(SIMD_OP.i8x16_shuffle).op(...lanes.flatMap((l) => [2 * l, 2 * l + 1]));
  }

  i32Add(): this {
    return this.op(OP.i32_add);
  }

  i32Sub(): this {
    return this.op(OP.i32_sub);
  }

  i32Mul(): this {
    return this.op(OP.i32_mul);
  }

  i32LtS(): this {
    return this.op(OP.i32_lt_s);
  }

  i32Eqz(): this {
    return this.op(OP.i32_eqz);
  }

  /** Opens a `block` (no result); `br_if 0` inside it jumps past its end. */
  block(): this {
    return this.op(OP.block, BLOCK_TYPE_EMPTY);
  }

  /** Opens a `loop` (no result); `br_if 0` inside it jumps back to its start. */
  loop(): this {
    return this.op(OP.loop, BLOCK_TYPE_EMPTY);
  }

  end(): this {
    return this.op(OP.end);
  }

  brIf(depth: number): this {
    return this.op(OP.br_if, ...uleb128(depth));
  }

  /** The encoded body: local declarations (one entry per local), instructions, final `end`. */
  encode(): number[] {
    const locals = this.localTypes.map((t) => [1, t]);
    const body = [...encodeVector(locals), ...this.bytes, OP.end];
    return [...uleb128(body.length), ...body];
  }
}

/** One exported function of a module: its signature and body. */
export interface FunctionSpec {
  /** Export name. */
  name: string;
  params: ValType[];
  results: ValType[];
  body: CodeBuilder;
}

/** Bytes copied into memory at instantiation (an active data segment). */
export interface DataSegment {
  /** Byte address in memory. */
  offset: number;
  bytes: Uint8Array;
}

/** Everything a kernel module holds: exported functions, one fixed-size exported memory, constant data. */
export interface ModuleSpec {
  functions: FunctionSpec[];
  /** Memory size in 64 KiB pages; min and max are equal, so the memory can never grow and views never detach. */
  memoryPages: number;
  /** Export name of the memory. */
  memoryName: string;
  data: DataSegment[];
}

/** Encodes a complete module (one type per function, memory 0 of fixed size, active data segments). */
export function encodeModule(spec: ModuleSpec): Uint8Array {
  const types = spec.functions.map((f) => [0x60, ...encodeVector(f.params.map((p) => [p])), ...encodeVector(f.results.map((r) => [r]))]);
  const functionTypes = spec.functions.map((_, i) => uleb128(i));
  const memory = encodeVector([[0x01, ...uleb128(spec.memoryPages), ...uleb128(spec.memoryPages)]]);
  const exports = encodeVector([
    ...spec.functions.map((f, i) => [...encodeName(f.name), EXPORT_KIND.func, ...uleb128(i)]),
    [...encodeName(spec.memoryName), EXPORT_KIND.memory, 0],
  ]);
  const code = encodeVector(spec.functions.map((f) => f.body.encode()));
  // Data segment flag 0: active, memory 0, offset given by a constant expression.
  const data = encodeVector(
    spec.data.map((d) => [0x00, OP.i32_const, ...sleb128(d.offset), OP.end, ...uleb128(d.bytes.length), ...Array.from(d.bytes)]),
  );
  return Uint8Array.from([
    ...MODULE_HEADER,
    ...encodeSection(SECTION_ID.type, encodeVector(types)),
    ...encodeSection(SECTION_ID.function, encodeVector(functionTypes)),
    ...encodeSection(SECTION_ID.memory, memory),
    ...encodeSection(SECTION_ID.export, exports),
    ...encodeSection(SECTION_ID.code, code),
    ...encodeSection(SECTION_ID.data, data),
  ]);
}
