// Kubelet credential provider mode: request on stdin, response on stdout, errors on
// stderr (kubelet logs it) with exit 1.
import type { CommandContext } from '../credentials/core-context.js';
import { describeError } from '../errors.js';
import { answerKubelet, KUBELET_PREFIX } from '../integrations/kubelet-provider.js';
import { readStdin } from '../protocol/stdin.js';

export async function runKubeletProvider(context: CommandContext): Promise<number> {
  try {
    const response = await answerKubelet(context, readStdin());
    context.out(`${JSON.stringify(response)}\n`);
    return 0;
  } catch (error) {
    context.err(`${KUBELET_PREFIX}: ${describeError(error)}\n`);
    return 1;
  }
}
