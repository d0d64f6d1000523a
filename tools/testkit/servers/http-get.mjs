// A client for tests: COUNT GETs, each on a new connection; prints the bodies as JSON.
// Usage: node http-get.mjs URL COUNT TIMEOUT_MS
import { get } from 'node:http';

const [url, count, timeoutMs] = process.argv.slice(2);

function once() {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, timeout: Number(timeoutMs) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve(body.trim()));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

const bodies = [];
for (let i = 0; i < Number(count); i++) bodies.push(await once());
console.log(JSON.stringify(bodies));
