// The registry host of an image reference, as docker's reference parser decides it:
// the first path component is a registry only if it contains '.' or ':' or is
// `localhost`; otherwise the image lives on Docker Hub.
import { UserError } from '../errors.js';
import { quoted } from '../foreign-text.js';
import { DOCKER_HUB_KEY } from './dockerhub.js';

export function registryOfImage(image: string): string {
  const trimmed = image.trim();
  if (trimmed === '' || /\s/.test(trimmed)) throw new UserError(`invalid image reference ${quoted(image)}`);
  const slash = trimmed.indexOf('/');
  if (slash < 0) return DOCKER_HUB_KEY;
  const first = trimmed.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : DOCKER_HUB_KEY;
}
