/**
 * Attribute mode: membership is a custom array attribute (e.g. `mixpanel_cohorts`) written through
 * `POST /users/track` with `{"add": [...]}` / `{"remove": [...]}`, always with `_update_existing_only: true`
 * (Braze's default for external ids would create users). Changes are buffered; all changes of one user in a
 * buffer become one object (a rename's remove and add together), at most 75 objects per request.
 * A value added and removed for the same user within one buffer cannot share an object (Braze does not say in
 * which order it applies them), so the buffer is sent and awaited first, keeping the order.
 */
import type { Logger } from '../../../connector-kit/logger';
import { interpretTrackAnswer, stopError } from './braze-answers';
import { ChangeGroup, ReleasingWriter } from './change-group';
import type { InFlightPool } from './in-flight-pool';
import type { MembershipChange, MembershipWriter, CohortRef, OutcomeListener } from './membership-writer';
import { ATTRIBUTE_OBJECTS_PER_REQUEST } from './options';
import type { RequestSender } from './request-sender';

const TRACK_PATH = '/users/track';

/** One user's pending changes, keyed by value. */
interface UserObject {
  userId: string;
  changes: ChangeGroup;
}

export class AttributeWriter extends ReleasingWriter implements MembershipWriter {
  private buffer = new Map<string, UserObject>();
  private readonly attributeKey: string;

  constructor(
    private readonly sender: RequestSender,
    private readonly pool: InFlightPool,
    attributeName: string,
    private readonly onOutcome: OutcomeListener,
    private readonly log: Logger,
    release: () => void,
  ) {
    super(release);
    this.attributeKey = JSON.stringify(attributeName);
  }

  async beginCohort(_cohort: CohortRef): Promise<void> {
    this.pool.check();
  }

  async enqueue(change: MembershipChange): Promise<void> {
    this.pool.check();
    let object = this.buffer.get(change.userId);
    if (object && object.changes.conflicts(change, change.value)) {
      await this.dispatch();
      await this.pool.drain();
      object = undefined;
    }
    if (!object) {
      if (this.buffer.size >= ATTRIBUTE_OBJECTS_PER_REQUEST) await this.dispatch();
      object = { userId: change.userId, changes: new ChangeGroup() };
      this.buffer.set(change.userId, object);
    }
    object.changes.put(change, change.value);
  }

  async flush(): Promise<void> {
    await this.dispatch();
    await this.pool.drain();
  }

  private async dispatch(): Promise<void> {
    if (this.buffer.size === 0) return;
    const objects = [...this.buffer.values()];
    this.buffer = new Map();
    await this.pool.submit((signal) => this.send(objects, signal));
  }

  private async send(objects: UserObject[], signal: AbortSignal): Promise<void> {
    const body = `{"attributes":[${objects.map((o) => this.attributeObject(o)).join(',')}]}`;
    const answer = await this.sender.send(TRACK_PATH, body, true, `a /users/track request of ${objects.length} objects`, signal);
    const stop = stopError(answer, 'users.track', this.sender.host, TRACK_PATH);
    if (stop) throw stop;
    const verdict = interpretTrackAnswer(answer, objects.length);
    if (verdict.allRejected) this.log.warn(`${verdict.allRejected} (${objects.length} users' changes rejected; the sync goes on).`);
    if (verdict.rejectedObjects.size > 0) this.log.warn(`Braze rejected ${verdict.rejectedObjects.size} of ${objects.length} objects of a request (minor errors); the rest was written.`);
    for (const untied of verdict.untied) this.log.warn(`Braze reported a minor error not tied to an attribute object: ${untied}`);
    objects.forEach((object, index) => object.changes.report(this.onOutcome, verdict.allRejected ?? verdict.rejectedObjects.get(index)));
  }

  /** One attribute object as JSON text (built directly: this runs for every user written). */
  private attributeObject(object: UserObject): string {
    const { add, remove } = object.changes;
    const ops: string[] = [];
    if (add.size > 0) ops.push(`"add":${JSON.stringify([...add.keys()])}`);
    if (remove.size > 0) ops.push(`"remove":${JSON.stringify([...remove.keys()])}`);
    return `{"external_id":${JSON.stringify(object.userId)},${this.attributeKey}:{${ops.join(',')}},"_update_existing_only":true}`;
  }
}
