// net.request() reads only what the caller gave it: no silent request to http://localhost/
// for a missing argument, no options inherited from a polluted Object.prototype. Serial and in
// a file of its own: the pollution test changes Object.prototype for the whole process.
import test from 'ava';
import { net } from '../ts/index';
import { collect } from './helpers/collect';
import { okResponse, startWireRecorder } from './helpers/wire-recorder';

test.serial('net.request(undefined), (null) and non-objects throw instead of requesting http://localhost/', (t) => {
  const message = 'The options of net.request() must be a URL string, a URL or an object';
  for (const bad of [undefined, null, 42, true]) {
    t.throws(() => net.request(bad as any), { instanceOf: TypeError, message });
  }
});

test.serial('a URL object requests its own href (Electron would request http://localhost/)', async (t) => {
  const server = await startWireRecorder(() => okResponse('url object'));
  t.teardown(() => server.close());
  const req = net.request(new URL(`${server.httpUrl}/from-url-object`) as any);
  req.end();
  const { body } = await collect(req);
  t.is(body.toString(), 'url object');
  t.is(server.requests[0].requestLine, 'GET /from-url-object HTTP/1.1');
});

test.serial('Object.prototype pollution cannot redirect a request built from hostname/port/path, nor add headers', async (t) => {
  const intended = await startWireRecorder(() => okResponse('intended'));
  const attacker = await startWireRecorder(() => okResponse('attacker'));
  t.teardown(() => Promise.all([intended.close(), attacker.close()]));
  const proto = Object.prototype as any;
  proto.url = `${attacker.httpUrl}/stolen`;
  proto.href = `${attacker.httpUrl}/stolen-href`;
  proto.headers = { 'X-Polluted': 'yes' };
  proto.method = 'DELETE';
  try {
    const req = net.request({ hostname: '127.0.0.1', port: intended.port, path: '/mine' });
    req.end();
    const { body } = await collect(req);
    t.is(body.toString(), 'intended');
  } finally {
    delete proto.url;
    delete proto.href;
    delete proto.headers;
    delete proto.method;
  }
  t.is(attacker.connections, 0);
  t.is(intended.requests[0].requestLine, 'GET /mine HTTP/1.1');
  t.false(intended.requests[0].head.includes('X-Polluted'));
});
