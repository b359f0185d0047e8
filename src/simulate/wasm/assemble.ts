import wabtInit from 'wabt';

/**
 * WebAssembly text to binary with wabt, SIMD enabled, no debug names (so the output is a pure
 * function of the text). Build-time only (scripts/buildWasm.ts, tests): the engine loads the
 * committed binaries and never imports this module.
 */
export async function assembleWat(text: string, fileName: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const mod = wabt.parseWat(fileName, text, { simd: true });
  try {
    mod.validate();
    return Uint8Array.from(mod.toBinary({ log: false, write_debug_names: false }).buffer);
  } finally {
    mod.destroy();
  }
}
