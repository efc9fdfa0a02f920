// --log-net-log=PATH (with --net-log-capture-mode=Default|IncludeSensitive|Everything) starts the
// default session's NetLog, as Chromium's switch does at startup; removing the switch stops it.
// A log started this way is completed when the event loop runs dry ('beforeExit'); a process
// that calls process.exit() should call netLog.stopLogging() first.
import { getDefaultSession } from '../session';
import { onSwitchesChange } from '../switches/command-line';
import { networkSwitches } from '../switches/network-switches';
import type { CaptureMode } from './net-log';

let startedPath = '';
let exitHook = false;

const MODES: Record<string, CaptureMode> = { default: 'default', includesensitive: 'includeSensitive', everything: 'everything' };

function apply(): void {
  const { netLogPath, netLogCaptureMode } = networkSwitches();
  const log = getDefaultSession().netLog;
  if (netLogPath === startedPath) return;
  if (startedPath !== '') void log.stopLogging().catch(() => {});
  startedPath = netLogPath;
  if (netLogPath === '') return;
  void log.startLogging(netLogPath, { captureMode: MODES[netLogCaptureMode.toLowerCase()] ?? 'default' }).catch((error: Error) => {
    process.emitWarning(`curl-net: --log-net-log=${netLogPath} could not be opened: ${error.message}`);
    startedPath = '';
  });
  if (!exitHook) {
    exitHook = true;
    process.on('beforeExit', () => {
      if (startedPath !== '' && log.currentlyLogging) void log.stopLogging().catch(() => {});
    });
  }
}

onSwitchesChange(apply);
