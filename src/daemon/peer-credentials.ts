// Whose process is on the other end of an accepted unix socket connection. Node's net has no API for
// it; the Bun runtime of the shipped binary can call libc through bun:ffi on the socket's descriptor:
// getsockopt(SO_PEERCRED) on Linux, getpeereid on macOS (platform.ts `peerCredentialCall`). Under Node
// (development, unit tests) and on other systems the uid cannot be told, and the 0700 runtime dir with the
// 0600 socket is the only guard.
import { describeError } from '../errors.js';
import { log } from '../log.js';
import { hostPlatform, type Platform, peerCredentialCall } from '../platform.js';

/** The peer's uid, or undefined when this runtime cannot tell. */
export type PeerUidOf = (socket: unknown) => number | undefined;

const SOL_SOCKET = 1; // Linux values
const SO_PEERCRED = 17;

/** The part of bun:ffi used here: a test hands in a stand-in that plays libc. */
export interface Ffi {
  dlopen(path: string, symbols: Record<string, { args: string[]; returns: string }>): { symbols: Libc };
  ptr(view: ArrayBufferView): number;
}
export interface Libc {
  getsockopt?(fd: number, level: number, name: number, value: number, length: number): number;
  getpeereid?(fd: number, uid: number, gid: number): number;
}

/** The descriptor behind a node:net socket (Node and Bun both keep it on the handle). */
const descriptorOf = (socket: unknown): number | undefined => {
  const fd = (socket as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
};

async function loadBunFfi(): Promise<Ffi | undefined> {
  if (!(globalThis as { Bun?: unknown }).Bun) return undefined;
  const specifier = 'bun:ffi'; // not a literal: TypeScript and Node must not try to resolve it
  return (await import(specifier)) as Ffi;
}

function linuxPeer(ffi: Ffi, library: string): PeerUidOf {
  const libc = ffi.dlopen(library, {
    getsockopt: { args: ['i32', 'i32', 'i32', 'ptr', 'ptr'], returns: 'i32' },
  }).symbols;
  return (socket) => {
    const fd = descriptorOf(socket);
    if (fd === undefined) return -1; // cannot be told for this one connection: refused, never waved through
    const ucred = new Int32Array(3); // pid, uid, gid
    const length = new Uint32Array([ucred.byteLength]);
    return libc.getsockopt!(fd, SOL_SOCKET, SO_PEERCRED, ffi.ptr(ucred), ffi.ptr(length)) === 0 ? ucred[1]! : -1;
  };
}

function macPeer(ffi: Ffi, library: string): PeerUidOf {
  const libc = ffi.dlopen(library, {
    getpeereid: { args: ['i32', 'ptr', 'ptr'], returns: 'i32' },
  }).symbols;
  return (socket) => {
    const fd = descriptorOf(socket);
    if (fd === undefined) return -1;
    const uid = new Uint32Array(1);
    const gid = new Uint32Array(1);
    return libc.getpeereid!(fd, ffi.ptr(uid), ffi.ptr(gid)) === 0 ? uid[0]! : -1;
  };
}

/** How the daemon learns a peer's uid, chosen once at start; says in the log when it cannot. */
export async function peerUidReader(
  platform: Platform = hostPlatform(),
  loadFfi: () => Promise<Ffi | undefined> = loadBunFfi,
): Promise<PeerUidOf> {
  try {
    const call = peerCredentialCall(platform);
    const ffi = call && (await loadFfi());
    if (ffi && call.call === 'SO_PEERCRED') return linuxPeer(ffi, call.library);
    if (ffi && call.call === 'getpeereid') return macPeer(ffi, call.library);
  } catch (error) {
    log.warn(`cannot load the peer credential check: ${describeError(error)}`);
  }
  log.info('peer uid not checked on this runtime: only the runtime dir (0700) and the socket (0600) guard it');
  return () => undefined;
}
