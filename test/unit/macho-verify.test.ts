// The release's Mach-O checks (scripts/release/verify.mjs) on a small Mach-O built here and signed by the
// release's own ad-hoc signer (scripts/release/macho-sign.mjs), then damaged one way at a time: each damage is
// refused in one line naming it. test/e2e/release-macho.test.ts runs the same checks on the real darwin binaries.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Target {
  name: string;
  addonFile: string;
  addonPackage: string;
  machoCpu: number;
}
interface Verify {
  checkMachoSignature(binary: Buffer, cpu: number): { adhoc: boolean; identifier: string; arch: string; pages: number };
  checkEmbeddedAddon(binary: Buffer, target: Target, addonDir: string): number;
  machoHeader(file: Buffer): { cputype: number; arch: string; filetype: string };
}
// Not literals: the scripts are plain JavaScript, which TypeScript does not resolve.
const verifyModule = '../../scripts/release/verify.mjs';
const signModule = '../../scripts/release/macho-sign.mjs';
const { checkMachoSignature, checkEmbeddedAddon, machoHeader } = (await import(verifyModule)) as Verify;
const { adhocSign } = (await import(signModule)) as { adhocSign(binary: Buffer, identifier: string): Buffer };

const ARM64 = 0x0100000c;
const X86_64 = 0x01000007;
const PAGE = 4096;

/** Mach-O header (32 bytes), __TEXT and __LINKEDIT segments (72 each), LC_CODE_SIGNATURE (16), then code pages. */
function unsignedMacho(cpu: number, filetype = 2, codeLimit = 3 * PAGE + 160): Buffer {
  const file = Buffer.alloc(codeLimit);
  for (let i = 200; i < codeLimit; i++) file[i] = (i * 7) & 0xff; // something to hash
  file.writeUInt32LE(0xfeedfacf, 0);
  file.writeUInt32LE(cpu, 4);
  file.writeUInt32LE(filetype, 12);
  file.writeUInt32LE(3, 16); // ncmds
  file.writeUInt32LE(72 + 72 + 16, 20);
  const segment = (at: number, name: string, fileoff: number, filesize: number) => {
    file.writeUInt32LE(0x19, at);
    file.writeUInt32LE(72, at + 4);
    file.write(name, at + 8, 'latin1');
    file.writeBigUInt64LE(BigInt(filesize), at + 32); // vmsize
    file.writeBigUInt64LE(BigInt(fileoff), at + 40);
    file.writeBigUInt64LE(BigInt(filesize), at + 48);
  };
  segment(32, '__TEXT', 0, 2 * PAGE);
  segment(104, '__LINKEDIT', 2 * PAGE, codeLimit - 2 * PAGE);
  file.writeUInt32LE(0x1d, 176);
  file.writeUInt32LE(16, 180);
  file.writeUInt32LE(codeLimit, 184); // the signature starts where the code ends
  return file;
}

const signed = (cpu = ARM64) => adhocSign(unsignedMacho(cpu), 'docker-credential-lanyard');
/** Where the CodeDirectory is in a signature written by macho-sign.mjs: after the SuperBlob and its one index. */
const codeDirectoryAt = (binary: Buffer) => binary.readUInt32LE(184) + 20;

test('a Mach-O signed ad hoc by the release passes: architecture, CS_ADHOC, every page hash', () => {
  const binary = signed();
  assert.equal(checkMachoSignature(binary, ARM64), {
    adhoc: true,
    identifier: 'docker-credential-lanyard',
    arch: 'arm64',
    pages: 4,
  });
  assert.equal(machoHeader(signed(X86_64)), { cputype: X86_64, arch: 'x86_64', filetype: 'executable' });
});

/** A damage done in place to the signed binary. */
const changed =
  (write: (binary: Buffer) => unknown) =>
  (binary: Buffer): Buffer => {
    write(binary);
    return binary;
  };

const refusals: [string, (binary: Buffer) => Buffer, RegExp][] = [
  [
    'a byte changed after signing',
    changed((b) => b.writeUInt8(b[5000]! ^ 1, 5000)),
    /page 1 hash mismatch: the binary was modified/,
  ],
  ['the other architecture', changed((b) => b.writeUInt32LE(X86_64, 4)), /Mach-O is x86_64, expected arm64/],
  ['a dylib, not an executable', changed((b) => b.writeUInt32LE(6, 12)), /is a dylib, expected an executable/],
  ['not Mach-O at all (ELF)', changed((b) => b.write('\x7fELF', 0, 'latin1')), /not a 64-bit little-endian Mach-O/],
  ['no LC_CODE_SIGNATURE', changed((b) => b.writeUInt32LE(0x1e, 176)), /no LC_CODE_SIGNATURE/],
  ['cut short', (b) => b.subarray(0, b.length - 40), /past the end of the file .*truncated or damaged/],
  [
    'a CodeDirectory without CS_ADHOC (a certificate signature)',
    changed((b) => b.writeUInt32BE(0x20000, codeDirectoryAt(b) + 12)),
    /flags 0x20000 lack CS_ADHOC/,
  ],
  [
    'a CodeDirectory that skips the last page',
    changed((b) => b.writeUInt32BE(3, codeDirectoryAt(b) + 28)),
    /hashes 3 pages, the code has 4/,
  ],
];

for (const [name, damage, refusal] of refusals) {
  test(`refused: ${name}`, () => {
    const binary = damage(signed());
    assert.throws(() => checkMachoSignature(binary, ARM64), refusal);
    try {
      checkMachoSignature(binary, ARM64);
    } catch (error) {
      assert.not.match((error as Error).message, /\n/, 'one line');
    }
  });
}

test("the addon must be embedded byte for byte and built for the binary's own CPU", () => {
  const dir = mkdtempSync(join(tmpdir(), 'lanyard-macho-'));
  try {
    const target = {
      name: 'darwin-arm64',
      addonFile: 'keyring.darwin-arm64.node',
      addonPackage: '@napi-rs/keyring-darwin-arm64',
      machoCpu: ARM64,
    };
    const addon = unsignedMacho(ARM64, 6, 2 * PAGE + 160);
    addon.write('keyring.darwin-arm64-0123abcd.node', 300, 'latin1'); // the name Bun gives an embedded addon
    writeFileSync(join(dir, target.addonFile), addon);
    const binary = Buffer.concat([signed(), addon]);
    assert.is(checkEmbeddedAddon(binary, target, dir), addon.length);
    assert.throws(() => checkEmbeddedAddon(signed(), target, dir), /is not embedded/);
    writeFileSync(join(dir, target.addonFile), unsignedMacho(X86_64, 6));
    assert.throws(() => checkEmbeddedAddon(binary, target, dir), /is a x86_64 dylib, expected a dylib for arm64/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
