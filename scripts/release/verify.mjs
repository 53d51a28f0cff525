// Static checks of a compiled binary: what `file` says it is, that it embeds exactly
// the target's keyring addon (byte for byte, and no other platform's), and for
// Mach-O that the ad-hoc code signature Bun writes is intact (Apple Silicon kills
// unsigned or mis-signed binaries on exec).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exitText, run } from './run.mjs';

export async function fileType(path) {
  const file = await run('file', ['-b', path]);
  if (file.status !== 0) throw new Error(`file ${path}: ${exitText(file)} ${file.stderr.trim()}`);
  return file.stdout.trim();
}

/** Names of keyring addons bundled into the binary: Bun stores them as keyring.<platform>-<hash>.node. */
function embeddedAddons(binary) {
  const found = new Set();
  const needle = Buffer.from('keyring.');
  for (let at = binary.indexOf(needle); at !== -1; at = binary.indexOf(needle, at + 1)) {
    const m = /^keyring\.([a-z0-9-]+)-[a-z0-9]{8}\.node/.exec(binary.toString('latin1', at, at + 80));
    if (m) found.add(`keyring.${m[1]}.node`);
  }
  return [...found];
}

export function checkEmbeddedAddon(binary, target, addonDir) {
  const addon = readFileSync(join(addonDir, target.addonFile));
  if (binary.indexOf(addon) === -1) {
    throw new Error(
      `${target.addonFile} (${addon.length} bytes) is not embedded: Bun could not resolve ${target.addonPackage}`,
    );
  }
  const names = embeddedAddons(binary);
  const others = names.filter((n) => n !== target.addonFile);
  if (others.length) throw new Error(`unexpected addons embedded: ${others.join(', ')}`);
  return addon.length;
}

/**
 * Mach-O 64: cputype as expected, LC_CODE_SIGNATURE present, every page hash matching;
 * returns { adhoc, identifier }.
 */
export function checkMachoSignature(binary, expectedCpu) {
  if (binary.readUInt32LE(0) !== 0xfeedfacf) throw new Error('not a 64-bit little-endian Mach-O file');
  const cpu = binary.readUInt32LE(4);
  if (cpu !== expectedCpu)
    throw new Error(`Mach-O cputype 0x${cpu.toString(16)}, expected 0x${expectedCpu.toString(16)}`);
  const ncmds = binary.readUInt32LE(16);
  let offset = 32,
    signature;
  for (let i = 0; i < ncmds; i++) {
    const cmd = binary.readUInt32LE(offset);
    if (cmd === 0x1d) signature = { start: binary.readUInt32LE(offset + 8), size: binary.readUInt32LE(offset + 12) };
    offset += binary.readUInt32LE(offset + 4);
  }
  if (!signature) throw new Error('no LC_CODE_SIGNATURE: macOS on Apple Silicon will refuse to run it unsigned');
  const blob = binary.subarray(signature.start, signature.start + signature.size);
  if (blob.readUInt32BE(0) !== 0xfade0cc0) throw new Error('code signature is not an embedded-signature SuperBlob');
  for (let i = 0, count = blob.readUInt32BE(8); i < count; i++) {
    const at = blob.readUInt32BE(16 + i * 8);
    if (blob.readUInt32BE(at) !== 0xfade0c02) continue; // not a CodeDirectory
    const cd = blob.subarray(at);
    const flags = cd.readUInt32BE(12),
      hashOffset = cd.readUInt32BE(16),
      slots = cd.readUInt32BE(28);
    const codeLimit = cd.readUInt32BE(32),
      hashSize = cd[36],
      hashType = cd[37],
      pageSize = 2 ** cd[39];
    if (hashType !== 2) throw new Error(`CodeDirectory hash type ${hashType}, expected SHA-256`);
    if (codeLimit !== signature.start)
      throw new Error(`signature covers ${codeLimit} bytes, code ends at ${signature.start}`);
    for (let page = 0; page < slots; page++) {
      const bytes = binary.subarray(page * pageSize, Math.min((page + 1) * pageSize, codeLimit));
      const want = cd.subarray(hashOffset + page * hashSize, hashOffset + (page + 1) * hashSize);
      if (!createHash('sha256').update(bytes).digest().subarray(0, hashSize).equals(want)) {
        throw new Error(`code signature page ${page} hash mismatch: the binary was modified after signing`);
      }
    }
    const identOffset = cd.readUInt32BE(20);
    return { adhoc: Boolean(flags & 0x2), identifier: cd.toString('latin1', identOffset, cd.indexOf(0, identOffset)) };
  }
  throw new Error('code signature has no CodeDirectory');
}
