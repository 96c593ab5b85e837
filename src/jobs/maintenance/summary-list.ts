/** How many dialogs a portal's summary lists; the rest are only counted. */
export const LIST_LIMIT = 200;

/** The per-dialog list of a summary, capped so that one line of JSON stays readable. */
export class CappedList<T> {
  readonly items: T[] = [];
  omitted = 0;

  constructor(private readonly limit = LIST_LIMIT) {}

  push(item: T): void {
    if (this.items.length < this.limit) this.items.push(item);
    else this.omitted++;
  }
}
