// The proxy-routing stage by itself: the session's plan becomes the hop's proxy; a proxy that
// could not be used is reported and the next one is tried; origin errors are not failed over.
import test from 'ava';
import { DoneFlag } from '../../ts/native';
import { RequestBody } from '../../ts/request-body';
import { fromPartition } from '../../ts/session';
import { proxyRouting } from '../../ts/stages/proxy-routing';
import { harness, outcome } from '../helpers/stage-harness';

const proxyRefused = outcome({ curlCode: 7, osErrno: 111, flags: DoneFlag.UsedProxy, message: 'Failed to connect' });

test('a direct configuration plans a direct hop', async (t) => {
  const session = fromPartition('proxy-routing-direct');
  await session.setProxy({ mode: 'direct' });
  const h = harness(proxyRouting, 'http://example.test/', { session });
  await h.prepare();
  t.is(h.state.proxy.url, '');
  t.is(h.state.proxy.host, undefined);
});

test('fixed servers: the first proxy is used, and a refused proxy fails over to the next', async (t) => {
  const session = fromPartition('proxy-routing-failover');
  await session.setProxy({ proxyRules: '127.0.0.1:1,127.0.0.1:2' });
  const h = harness(proxyRouting, 'http://example.test/', { session });
  await h.prepare();
  t.is(h.state.proxy.port, 1);
  t.is(h.stage.onDone!(proxyRefused), 'handled');
  t.deepEqual(h.log, [{ restart: { kind: 'proxy-failover' } }]);
  await h.prepare();
  t.is(h.state.proxy.port, 2, 'the next hop goes through the second proxy without a new plan');
  t.is(h.stage.onDone!(proxyRefused), undefined, 'the list is exhausted: the error stands');
});

test('an error from the origin (a response came back) is not failed over', async (t) => {
  const session = fromPartition('proxy-routing-origin-error');
  await session.setProxy({ proxyRules: '127.0.0.1:1,127.0.0.1:2' });
  const h = harness(proxyRouting, 'http://example.test/', { session });
  await h.prepare();
  t.is(h.stage.onDone!(outcome({ curlCode: 0, responseCode: 200 })), undefined);
  t.is(h.stage.onDone!(outcome({ curlCode: 52, flags: DoneFlag.UsedProxy, message: 'Empty reply from server' })), undefined);
  t.deepEqual(h.log, []);
});

test('a streamed body that cannot be sent again is not failed over', async (t) => {
  const session = fromPartition('proxy-routing-stream');
  await session.setProxy({ proxyRules: '127.0.0.1:1,127.0.0.1:2' });
  const body = new RequestBody();
  body.startStreaming(); // not ended: cannot be replayed
  const h = harness(proxyRouting, { url: 'http://example.test/', method: 'POST' }, { session, body });
  await h.prepare();
  t.is(h.stage.onDone!(proxyRefused), undefined);
});
