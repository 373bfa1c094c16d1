/** Bad command-line input: reported with the usage text, exit code 2, nothing started. */
export class UsageError extends Error {}
