import { GrowingFile, waitForText } from './logfile.js';
import type { Child } from './processes.js';

// The guest's /init (built by .ci/e2e-assets.sh) prints, on the serial console:
//   METALBUS-E2E-CMDLINE-BEGIN
//   <the contents of /proc/cmdline>
//   METALBUS-E2E-CMDLINE-END
//   METALBUS-E2E-UPTIME <seconds since the kernel started>
// and powers off. These strings are the contract between that script and this module.
export const GUEST_MARKERS = {
  begin: 'METALBUS-E2E-CMDLINE-BEGIN',
  end: 'METALBUS-E2E-CMDLINE-END',
  uptime: 'METALBUS-E2E-UPTIME',
} as const;

export type GuestReport = {
  /** /proc/cmdline as the guest saw it. */
  cmdline: string;
  /** The command line split on whitespace, in order. */
  args: readonly string[];
  /** Guest uptime when /init printed the command line; undefined until that line has arrived. */
  uptimeS: number | undefined;
};

// Kernel messages can interleave with /init's output on the console; they are not part of the command line.
const KERNEL_LOG_LINE = /^\s*\[\s*\d+\.\d+\]/;

/** The guest's report from a serial log (SeaBIOS/OVMF/iPXE noise around it is ignored), once the end marker is in. */
export function parseGuestReport(serial: string): GuestReport | undefined {
  const lines = serial.replace(/\r/g, '').split('\n');
  const begin = lines.findIndex((l) => l.trim() === GUEST_MARKERS.begin);
  if (begin < 0) return undefined;
  const end = lines.findIndex((l, i) => i > begin && l.trim() === GUEST_MARKERS.end);
  if (end < 0) return undefined;
  const cmdline = lines
    .slice(begin + 1, end)
    .filter((l) => !KERNEL_LOG_LINE.test(l))
    .join(' ')
    .trim();
  const uptimeLine = lines.slice(end + 1).find((l) => l.startsWith(`${GUEST_MARKERS.uptime} `));
  const uptime = uptimeLine === undefined ? Number.NaN : Number(uptimeLine.slice(GUEST_MARKERS.uptime.length + 1));
  return { cmdline, args: cmdline.split(/\s+/).filter(Boolean), uptimeS: Number.isFinite(uptime) ? uptime : undefined };
}

/** Wait until the guest behind `qemu` has printed its whole report; `seenAt` is a performance.now() stamp. */
export async function waitForGuestReport(
  serialPath: string,
  qemu: Child,
  timeoutMs: number,
): Promise<{ report: GuestReport; seenAt: number }> {
  const { value, seenAt } = await waitForText(
    new GrowingFile(serialPath),
    (text) => {
      const report = parseGuestReport(text);
      return report?.uptimeS === undefined ? undefined : report;
    },
    { timeoutMs, child: qemu, what: 'kernel command line from the guest' },
  );
  return { report: value, seenAt };
}

// ANSI/VT100 sequences OVMF, SeaBIOS and iPXE write to the console: CSI (`ESC [ … letter`), charset selection
// (`ESC ( B`), and two-character ones such as `ESC c` (reset).
// eslint-disable-next-line no-control-regex -- escape sequences are exactly what is being removed
const TERMINAL_ESCAPES = /\x1b(?:\[[0-?]*[ -/]*[@-~]|[()][0-9A-Za-z]|[@-Z\\-_a-z])/g;
// eslint-disable-next-line no-control-regex -- control characters left after the escapes (backspace, bell, …)
const CONTROL_CHARS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;

/**
 * Complete serial-console lines as a person would read them: terminal escapes and control characters removed,
 * and each part of a line that a terminal would have overwritten (after a carriage return, or after a run of
 * blanking spaces) on a line of its own, blank parts dropped. A last line without its newline yet is left out: it may still grow. Pure.
 */
export function readableSerialLines(text: string): { lines: string[]; consumed: number } {
  const end = text.lastIndexOf('\n');
  if (end < 0) return { lines: [], consumed: 0 };
  const lines = text
    .slice(0, end)
    .split('\n')
    .flatMap((line) => line.replace(TERMINAL_ESCAPES, '').split('\r'))
    // iPXE wipes a prompt by writing backspaces and spaces over it: what followed is a new line to a reader.
    .flatMap((part) => part.replace(CONTROL_CHARS, '').split(/ {8,}/))
    .map((part) => part.trimEnd())
    .filter((part) => part.trim() !== '');
  return { lines, consumed: end + 1 };
}
