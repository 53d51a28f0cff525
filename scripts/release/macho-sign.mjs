// Ad-hoc code signing of a 64-bit Mach-O executable, for when Bun leaves a broken
// signature (Bun 1.4.4 cross-compiling darwin-x64 keeps the runtime's original
// Developer ID signature, which no longer matches the bytes after the __BUN segment is
// inserted). The layout is the one Go's linker (cmd/internal/codesign) and Bun's own
// darwin-arm64 signer write: a SuperBlob holding one CodeDirectory, SHA-256 per 4 KiB
// page up to the signature, the last page hashed short. release/verify.mjs checks the
// result the way the kernel does; the self-test in the release re-signs Bun's valid
// arm64 output and expects the same bytes back.
import { createHash } from 'node:crypto';

const LC_SEGMENT_64 = 0x19,
  LC_CODE_SIGNATURE = 0x1d,
  MH_EXECUTE = 2;
const PAGE_BITS = 12,
  PAGE = 1 << PAGE_BITS,
  HASH = 32;
const SUPERBLOB = 12,
  BLOB_INDEX = 8,
  CODE_DIRECTORY = 88;

function loadCommands(binary) {
  if (binary.readUInt32LE(0) !== 0xfeedfacf) throw new Error('not a 64-bit little-endian Mach-O file');
  const commands = [];
  for (let i = 0, offset = 32, n = binary.readUInt32LE(16); i < n; i++) {
    const cmd = binary.readUInt32LE(offset),
      size = binary.readUInt32LE(offset + 4);
    const name =
      cmd === LC_SEGMENT_64 ? binary.toString('latin1', offset + 8, offset + 24).replace(/\0.*$/s, '') : undefined;
    commands.push({ cmd, offset, name });
    offset += size;
  }
  return commands;
}

/** Returns a new buffer: `binary` with its code signature replaced by a fresh ad-hoc one. */
export function adhocSign(binary, identifier) {
  const commands = loadCommands(binary);
  const signature = commands.find((c) => c.cmd === LC_CODE_SIGNATURE);
  const linkedit = commands.find((c) => c.name === '__LINKEDIT');
  const text = commands.find((c) => c.name === '__TEXT');
  if (!signature || !linkedit || !text)
    throw new Error('expected __TEXT, __LINKEDIT and LC_CODE_SIGNATURE load commands');
  const codeLimit = binary.readUInt32LE(signature.offset + 8);
  const linkeditOff = Number(binary.readBigUInt64LE(linkedit.offset + 40));
  if (codeLimit % 16 !== 0 || codeLimit < linkeditOff)
    throw new Error(`code signature offset ${codeLimit} is not inside __LINKEDIT`);

  const slots = Math.ceil(codeLimit / PAGE);
  const ident = Buffer.from(`${identifier}\0`);
  const cdLength = CODE_DIRECTORY + ident.length + slots * HASH;
  const sigSize = SUPERBLOB + BLOB_INDEX + cdLength;
  const out = Buffer.alloc(codeLimit + sigSize);
  binary.copy(out, 0, 0, codeLimit);

  // Load commands first: they lie in page 0, which is hashed below.
  out.writeUInt32LE(sigSize, signature.offset + 12);
  const linkeditSize = BigInt(out.length - linkeditOff);
  out.writeBigUInt64LE(linkeditSize, linkedit.offset + 48); // filesize
  // Grown to whole 4 KiB pages when the signature outgrows it, as Bun's own signer does.
  const vmsize = binary.readBigUInt64LE(linkedit.offset + 32);
  const needed = ((linkeditSize + 0xfffn) / 0x1000n) * 0x1000n;
  if (needed > vmsize) out.writeBigUInt64LE(needed, linkedit.offset + 32);

  const sig = out.subarray(codeLimit);
  sig.writeUInt32BE(0xfade0cc0, 0); // CSMAGIC_EMBEDDED_SIGNATURE
  sig.writeUInt32BE(sigSize, 4);
  sig.writeUInt32BE(1, 8); // one blob
  sig.writeUInt32BE(0, 12); // CSSLOT_CODEDIRECTORY
  sig.writeUInt32BE(SUPERBLOB + BLOB_INDEX, 16);
  const cd = sig.subarray(SUPERBLOB + BLOB_INDEX);
  cd.writeUInt32BE(0xfade0c02, 0); // CSMAGIC_CODEDIRECTORY
  cd.writeUInt32BE(cdLength, 4);
  cd.writeUInt32BE(0x20400, 8); // version with exec segment fields
  cd.writeUInt32BE(0x20002, 12); // CS_ADHOC | CS_LINKER_SIGNED
  cd.writeUInt32BE(CODE_DIRECTORY + ident.length, 16); // hashOffset
  cd.writeUInt32BE(CODE_DIRECTORY, 20); // identOffset
  cd.writeUInt32BE(0, 24); // nSpecialSlots
  cd.writeUInt32BE(slots, 28);
  cd.writeUInt32BE(codeLimit, 32);
  cd[36] = HASH;
  cd[37] = 2; /* SHA-256 */
  cd[39] = PAGE_BITS;
  cd.writeBigUInt64BE(binary.readBigUInt64LE(text.offset + 40), 64); // execSegBase = __TEXT fileoff
  cd.writeBigUInt64BE(binary.readBigUInt64LE(text.offset + 48), 72); // execSegLimit = __TEXT filesize
  cd.writeBigUInt64BE(binary.readUInt32LE(12) === MH_EXECUTE ? 1n : 0n, 80); // CS_EXECSEG_MAIN_BINARY
  ident.copy(cd, CODE_DIRECTORY);
  for (let page = 0; page < slots; page++) {
    createHash('sha256')
      .update(out.subarray(page * PAGE, Math.min((page + 1) * PAGE, codeLimit)))
      .digest()
      .copy(cd, CODE_DIRECTORY + ident.length + page * HASH);
  }
  return out;
}
