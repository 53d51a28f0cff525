// A recording reverse proxy for the token-exchange tests: the cloud-service stand-ins count requests
// but do not remember who sent them. Put this in front of one (login --iam-endpoint <proxy.url>) to learn
// the User-Agent of every request (`lanyard/<v> (helper)` for inline exchanges, `(daemon)` for the
// refresher's). Requests and answers pass through unchanged; a client that goes away aborts the upstream
// request, so injected latency and dropped connections behave as without the proxy.
import http from 'node:http';
import { listen } from '../../fixtures/support.js';

export interface ProxiedRequest {
  at: number;
  method: string;
  path: string;
  userAgent: string;
  /** 'helper', 'daemon', or '' when the User-Agent is not lanyard's. */
  role: string;
}

export interface RecordingProxy {
  url: string;
  requests: ProxiedRequest[];
  /** Requests whose User-Agent names this role. */
  byRole(role: string): ProxiedRequest[];
  stop(): Promise<void>;
}

const ROLE = /^lanyard\/\S+ \(([a-z-]+)\)$/;

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  const served = await listen((req, res) => {
    const userAgent = String(req.headers['user-agent'] ?? '');
    requests.push({
      at: Date.now(),
      method: req.method ?? '',
      path: req.url ?? '',
      userAgent,
      role: ROLE.exec(userAgent)?.[1] ?? '',
    });
    const forward = http.request({
      hostname: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: upstream.host },
    });
    forward.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => req.socket.destroy()); // upstream dropped or stopped: so do we
    res.on('close', () => {
      if (!res.writableFinished) forward.destroy();
    }); // the client went away
    req.pipe(forward);
  });
  return { url: served.url, requests, byRole: (role) => requests.filter((r) => r.role === role), stop: served.stop };
}
