import { UnrecoverableError } from 'bullmq';

/** Job data that does not match the contract's schema: no attempt can succeed, and no room is trustworthy. */
export class InvalidJobDataError extends UnrecoverableError {
  constructor(detail: string) {
    super(`invalid job data: ${detail}`);
    this.name = 'InvalidJobDataError';
  }
}
