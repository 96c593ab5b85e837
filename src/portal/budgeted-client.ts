import { AppError, ErrorCode } from '../errors.ts';
import {
  BATCH_SIZE,
  type BatchOptions,
  type BatchResult,
  type Call,
  type Page,
  listAllPages,
  type PortalClient,
} from './client.ts';
import { currentRestClass, type PortalBudget } from './rest-priority.ts';

/**
 * A portal client whose every HTTP request first waits its turn in the portal's budget, under
 * the class its caller named (withRestClass; rest-priority.ts). A batch of n commands is
 * ceil(n / 50) requests. A refusal for rate tells the budget the portal is fuller than it thought.
 */
export class BudgetedClient implements PortalClient {
  readonly memberId: string;

  constructor(
    private readonly inner: PortalClient,
    private readonly budget: PortalBudget,
  ) {
    this.memberId = inner.memberId;
  }

  private async send<T>(requests: number, fn: () => Promise<T>): Promise<T> {
    await this.budget.take(currentRestClass(), requests);
    try {
      return await fn();
    } catch (err) {
      if (err instanceof AppError && err.code === ErrorCode.RateLimited) this.budget.refused();
      throw err;
    }
  }

  call<T = any>(method: string, params?: Record<string, unknown>): Promise<T> {
    return this.send(1, () => this.inner.call<T>(method, params));
  }

  callOnce<T = any>(method: string, params?: Record<string, unknown>): Promise<T> {
    return this.send(1, () => this.inner.callOnce<T>(method, params));
  }

  page<T = any>(method: string, params?: Record<string, unknown>): Promise<Page<T>> {
    return this.send(1, () => this.inner.page<T>(method, params));
  }

  listAll<T = any>(method: string, params: Record<string, unknown> = {}, max = 100_000): Promise<T[]> {
    return listAllPages((q) => this.page<T[]>(method, q), params, max);
  }

  async batch(calls: Record<string, Call>, o?: BatchOptions): Promise<BatchResult> {
    const n = Object.keys(calls).length;
    if (n === 0) return { results: {}, errors: {} };
    return this.send(Math.ceil(n / BATCH_SIZE), () => this.inner.batch(calls, o));
  }
}
