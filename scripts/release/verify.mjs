// Static checks of a compiled binary: what `file` says it is, that it embeds exactly
// the target's keyring addon (byte for byte, and no other platform's; for macOS, an addon
// of the binary's own architecture), and for Mach-O the header's architecture and an
// intact ad-hoc code signature (Apple Silicon kills unsigned or mis-signed binaries on
// exec; a signature from a certificate would not survive the bytes Bun appends).
// The Mach-O facts are from <mach-o/loader.h> and <kern/cs_blobs.h> (cctools, xnu).
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

const MH_MAGIC_64 = 0xfeedfacf;
const CS_ADHOC = 0x2;
const CPU_NAMES = new Map([
  [0x01000007, 'x86_64'],
  [0x0100000c, 'arm64'],
]);
const FILE_TYPES = new Map([
  [2, 'executable'],
  [6, 'dylib'],
  [8, 'bundle'],
]);
const cpuName = (cpu) => CPU_NAMES.get(cpu) ?? `cputype 0x${cpu.toString(16)}`;

/** The header of a thin 64-bit little-endian Mach-O: its architecture and file type. */
export function machoHeader(file, what = 'file') {
  if (file.length < 32 || file.readUInt32LE(0) !== MH_MAGIC_64) {
    throw new Error(`${what} is not a 64-bit little-endian Mach-O file (no 0xfeedfacf magic)`);
  }
  const cputype = file.readUInt32LE(4);
  const filetype = file.readUInt32LE(12);
  return { cputype, arch: cpuName(cputype), filetype: FILE_TYPES.get(filetype) ?? `filetype ${filetype}` };
}

/** A macOS addon must be a library for the binary's own CPU: an arm64 addon in an x86_64 binary never loads. */
function checkAddonArchitecture(addon, target) {
  const header = machoHeader(addon, target.addonFile);
  if (header.cputype !== target.machoCpu || !['dylib', 'bundle'].includes(header.filetype)) {
    throw new Error(
      `${target.addonFile} is a ${header.arch} ${header.filetype}, expected a dylib for ${cpuName(target.machoCpu)}`,
    );
  }
  return header;
}

export function checkEmbeddedAddon(binary, target, addonDir) {
  const addon = readFileSync(join(addonDir, target.addonFile));
  if (target.machoCpu) checkAddonArchitecture(addon, target);
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
 * Mach-O 64 executable: cputype as expected, LC_CODE_SIGNATURE present, an ad-hoc CodeDirectory
 * (CS_ADHOC) covering every page up to the signature, every page hash matching;
 * returns { adhoc, identifier, arch, pages }. A file cut short or with offsets pointing
 * outside it is reported as such, in one line.
 */
export function checkMachoSignature(binary, expectedCpu) {
  try {
    return readSignature(binary, expectedCpu);
  } catch (error) {
    if (error instanceof RangeError || error.code === 'ERR_OUT_OF_RANGE' || error.code === 'ERR_BUFFER_OUT_OF_BOUNDS') {
      throw new Error(
        `Mach-O structure points past the end of the file (${binary.length} bytes): truncated or damaged`,
      );
    }
    throw error;
  }
}

function readSignature(binary, expectedCpu) {
  const header = machoHeader(binary);
  if (header.cputype !== expectedCpu) throw new Error(`Mach-O is ${header.arch}, expected ${cpuName(expectedCpu)}`);
  if (header.filetype !== 'executable') throw new Error(`Mach-O is a ${header.filetype}, expected an executable`);
  const ncmds = binary.readUInt32LE(16);
  let offset = 32,
    signature;
  for (let i = 0; i < ncmds; i++) {
    const cmd = binary.readUInt32LE(offset);
    if (cmd === 0x1d) signature = { start: binary.readUInt32LE(offset + 8), size: binary.readUInt32LE(offset + 12) };
    offset += binary.readUInt32LE(offset + 4);
  }
  if (!signature) throw new Error('no LC_CODE_SIGNATURE: macOS on Apple Silicon will refuse to run it unsigned');
  if (signature.start + signature.size > binary.length) throw new RangeError('signature past the end');
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
    if (slots !== Math.ceil(codeLimit / pageSize))
      throw new Error(`CodeDirectory hashes ${slots} pages, the code has ${Math.ceil(codeLimit / pageSize)}`);
    if (!(flags & CS_ADHOC))
      throw new Error(`CodeDirectory flags 0x${flags.toString(16)} lack CS_ADHOC: not the ad-hoc signature expected`);
    if (hashOffset + slots * hashSize > cd.length) throw new RangeError('page hashes past the end');
    for (let page = 0; page < slots; page++) {
      const bytes = binary.subarray(page * pageSize, Math.min((page + 1) * pageSize, codeLimit));
      const want = cd.subarray(hashOffset + page * hashSize, hashOffset + (page + 1) * hashSize);
      if (!createHash('sha256').update(bytes).digest().subarray(0, hashSize).equals(want)) {
        throw new Error(`code signature page ${page} hash mismatch: the binary was modified after signing`);
      }
    }
    const identOffset = cd.readUInt32BE(20);
    const identifier = cd.toString('latin1', identOffset, cd.indexOf(0, identOffset));
    return { adhoc: true, identifier, arch: header.arch, pages: slots };
  }
  throw new Error('code signature has no CodeDirectory');
}
