/** What one generated event "is about": who did it, when, and from which campaign/Canvas. */
import { Prng } from './prng';
import { Campaign, Canvas, User, Variation, World } from './world';

export interface Product {
  id: string;
  price: number;
  currency: string;
}

export interface EventContext {
  rng: Prng;
  world: World;
  user: User;
  /** Event time, UNIX seconds. */
  time: number;
  campaign?: Campaign;
  canvas?: Canvas;
  variation?: Variation;
  step?: Variation;
  customEventName: string;
  product: Product;
  /** Write a deliberately broken JSON string into `properties`. */
  invalidProperties: boolean;
  /** Realistic-text choices for this event (all false unless the generator options ask for them). */
  text: { escapes: boolean; nested: boolean };
}
