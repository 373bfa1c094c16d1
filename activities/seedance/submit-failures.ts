/**
 * The typed failures of preparing a submit, by cause: wrong input is `InvalidRequest` (the
 * same input fails the same way), an unreachable store is `StorageUnavailable` and a stopped
 * attempt is `SubmitNotSent` (both retried: nothing was sent).
 */
import { FailureType, failure } from '../../common/errors';

export const invalidRequest = (message: string) => failure(FailureType.InvalidRequest, message, { type: FailureType.InvalidRequest });
export const storageUnavailable = (message: string) =>
  failure(FailureType.StorageUnavailable, message, { type: FailureType.StorageUnavailable });
export const notSent = (message: string) => failure(FailureType.SubmitNotSent, message, { type: FailureType.SubmitNotSent });
