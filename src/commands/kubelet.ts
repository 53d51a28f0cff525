// Kubelet credential provider mode: request on stdin, response on stdout, errors on
// stderr (kubelet logs it) with exit 1.
import { processContext } from '../credentials/core-context.js';
import { describeError } from '../errors.js';
import { answerKubelet } from '../integrations/kubelet-provider.js';
import { readStdin } from '../protocol/stdin.js';
import { writeOut, writeErr } from '../output.js';

export async function runKubeletProvider(): Promise<number> {
  try {
    const response = await answerKubelet(processContext(), readStdin());
    writeOut(`${JSON.stringify(response)}\n`);
    return 0;
  } catch (error) {
    writeErr(`docker-credential-lanyard (kubelet credential provider): ${describeError(error)}\n`);
    return 1;
  }
}
