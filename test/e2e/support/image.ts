// A tiny OCI image built locally with umoci (nothing is downloaded).
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Sandbox } from './sandbox.js';
import { runOk } from './run.js';

export interface OciImage {
  layout: string; // OCI layout directory
  tag: string;
  ref: string; // skopeo transport reference: oci:<layout>:<tag>
  digest: string; // manifest digest
}

/** Manifest digest of `tag` in an OCI layout (index.json annotation org.opencontainers.image.ref.name). */
export function ociDigest(layout: string, tag: string): string {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as {
    manifests: { digest: string; annotations?: Record<string, string> }[];
  };
  const m = index.manifests.find((x) => x.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!m) throw new Error(`tag ${tag} not in ${layout}/index.json`);
  return m.digest;
}

export async function buildImage(sb: Sandbox, tag = 'e2e'): Promise<OciImage> {
  const dir = sb.dir('image');
  const layout = join(dir, 'oci');
  const bundle = join(dir, 'bundle');
  const env = sb.env;
  await runOk('umoci', ['init', '--layout', layout], { env });
  await runOk('umoci', ['new', '--image', `${layout}:${tag}`], { env });
  await runOk('umoci', ['unpack', '--rootless', '--image', `${layout}:${tag}`, bundle], { env });
  // random content: every run pushes a blob the registry has never seen
  writeFileSync(join(bundle, 'rootfs', 'hello.txt'), `lanyard e2e ${randomBytes(8).toString('hex')}\n`);
  await runOk('umoci', ['repack', '--image', `${layout}:${tag}`, bundle], { env });
  return { layout, tag, ref: `oci:${layout}:${tag}`, digest: ociDigest(layout, tag) };
}
