// The floor of any command that reads every cluster once: bare Node, no k8ssandra code, one HTTPS
// connection per context of a kubeconfig (kubectl config view --raw -o json) and one GET /version on
// each, all at once. `npm run bench` measures it beside the no-op install on the same bed.
import { readFileSync } from 'node:fs';
import https from 'node:https';

const kc = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const b64 = (s) => (s ? Buffer.from(s, 'base64') : undefined);
await Promise.all(kc.contexts.map(({ context }) => {
  const cluster = kc.clusters.find((c) => c.name === context.cluster).cluster;
  const user = kc.users.find((u) => u.name === context.user).user;
  const options = { ca: b64(cluster['certificate-authority-data']), cert: b64(user['client-certificate-data']), key: b64(user['client-key-data']) };
  return new Promise((resolve, reject) => {
    https.get(`${cluster.server}/version`, options, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject);
  });
}));
