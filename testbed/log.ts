// Where the bed's progress lines go: stderr by default, so that stdout stays for what a command prints.
export type Log = (line: string) => void;

export const stderrLog: Log = (line) => process.stderr.write(`[testbed] ${line}\n`);
