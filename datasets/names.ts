/**
 * Human-looking names for a scenario's catalogue, from seeded @faker-js/faker: per telescope,
 * the principal investigators of its proposals and the names of its revisited fields. Kept
 * apart from the generator so that a fill thread gets the names without loading faker.
 */
import { en, Faker } from "@faker-js/faker";
import type { Scenario } from "../scenarios/types.js";
import { RandomStreams } from "../sim/kernel/random.js";
import { FIELDS_PER_TELESCOPE, PROPOSALS_PER_TELESCOPE } from "./generator.js";

export interface TelescopeNames {
  pis: string[];
  fields: string[];
}

const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);

export function makeNames(sc: Scenario): TelescopeNames[] {
  const streams = new RandomStreams(sc.seed);
  return sc.telescopes.map((t) => {
    const faker = new Faker({ locale: [en] });
    faker.seed(streams.stream(`dataset/names/${t.name}`).integer(2 ** 31));
    const pis = Array.from({ length: PROPOSALS_PER_TELESCOPE }, () => faker.person.fullName());
    const fields = Array.from({ length: FIELDS_PER_TELESCOPE }, () => `${cap(faker.word.adjective())} ${cap(faker.word.noun())} Field`);
    return { pis, fields };
  });
}
