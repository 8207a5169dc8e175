/** The keyward server the tests talk to: `KEYWARD_URL` and `KEYWARD_ADMIN_KEY` (scripts/sdk-tests sets both). */
import { randomBytes } from 'node:crypto';
import { Keyward, type Org } from '../src/index.js';

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} must name the keyward server under test (run scripts/sdk-tests)`);
  }
  return value;
}

export const url = required('KEYWARD_URL');
export const adminKey = required('KEYWARD_ADMIN_KEY');
export const admin = new Keyward({ baseUrl: url, apiKey: adminKey });

export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A fresh organization with `datasets:read` in its catalog. */
export async function freshOrg(): Promise<Org> {
  const org = await admin.orgs.create({ name: unique('sdk-ts') });
  await admin.permissions.create(org.slug, { name: 'datasets:read', read_only: true });
  return org;
}
