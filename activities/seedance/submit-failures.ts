/**
 * The typed failures of preparing a submit, by cause: wrong input is `InvalidRequest` (the
 * same input fails the same way), an unreachable store is `StorageUnavailable` and a stopped
 * attempt is `SubmitNotSent` (both retried: nothing was sent).
 */
import { ApplicationFailure } from '@temporalio/common';
import { FAILURE_TYPES, FailureType } from '../../common/errors';

function failure(type: FailureType, message: string): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message: `${type}: ${message}`,
    nonRetryable: !FAILURE_TYPES[type].retryable,
    details: [{ type }],
  });
}

export const invalidRequest = (message: string) => failure(FailureType.InvalidRequest, message);
export const storageUnavailable = (message: string) => failure(FailureType.StorageUnavailable, message);
export const notSent = (message: string) => failure(FailureType.SubmitNotSent, message);
