// The main use of curl-net, end to end, against a server this script starts on 127.0.0.1:
// a GET that redirects, a POST with a body, a chunked upload, a login, and net.fetch.
import http from 'node:http';
import { net, session, versions } from '../dist/index.mjs';

const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    if (req.url === '/old') {
      res.writeHead(302, { Location: '/new' });
      return res.end();
    }
    if (req.url === '/private' && req.headers.authorization !== `Basic ${Buffer.from('demo:secret').toString('base64')}`) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="demo"' });
      return res.end('who are you?');
    }
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ method: req.method, url: req.url, body, encoding: req.headers['transfer-encoding'] ?? null }));
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;

function send(request, body) {
  return new Promise((resolve, reject) => {
    request.on('error', reject);
    request.on('response', (response) => {
      let text = '';
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode, version: response.httpVersion, text }));
    });
    request.end(body);
  });
}

const v = versions();
console.log(`curl-net on libcurl ${v.libcurl} (${v.ssl}), Node ${process.version}`);

const get = net.request(`${base}/old`);
get.on('redirect', (status, method, url) => console.log(`  redirect ${status} → ${method} ${url}`));
console.log('GET /old', await send(get));

const post = net.request({ url: `${base}/echo`, method: 'POST', headers: { 'Content-Type': 'text/plain' } });
post.on('upload-progress', (position, total) => console.log(`  upload progress ${position}/${total}`));
console.log('POST /echo', await send(post, 'hello from curl-net'));

const chunked = net.request({ url: `${base}/stream`, method: 'PUT' });
chunked.chunkedEncoding = true;
chunked.write('part 1, ');
console.log('PUT /stream (chunked)', await send(chunked, 'part 2'));

const login = net.request(`${base}/private`);
login.on('login', (authInfo, callback) => {
  console.log('  login asked:', authInfo);
  setTimeout(() => callback('demo', 'secret'), 10);
});
console.log('GET /private', await send(login));

const again = net.request(`${base}/private`);
again.on('login', () => console.log('  (not asked again: the session cached the credentials)'));
console.log('GET /private again', await send(again));

const response = await net.fetch(`${base}/fetched`, { method: 'POST', body: 'via fetch' });
console.log('net.fetch', response.status, await response.json());

console.log('proxy for this URL:', await session.defaultSession.resolveProxy(`${base}/`));
server.close();
console.log('done');
