// `dlq list` and `dlq replay` (SPEC section 12): reading and replaying an account's dead letters.
export { runDlqList, type RunDlqListOptions } from "./list.js";
export { runDlqReplay, type RunDlqReplayOptions } from "./replay.js";
export { parseSelection, SelectionError, type Selection } from "./selection.js";
