import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Keyward, KeywardError, KeywardUnavailableError } from '../src/index.js';
import { admin, freshOrg, unique, url } from './env.js';

describe('client', () => {
  it('creates, lists, edits, rolls, verifies and revokes keys', async () => {
    const org = await freshOrg();
    const created = await admin.keys.create(org.slug, {
      name: 'reader',
      scope: 'organization',
      permissions: [{ permission: 'datasets:read', resource: 'datasets/42' }],
      metadata: { plan: 'pro' },
    });
    assert.match(created.key, /^kw_/);
    assert.equal(created.permissions[0]?.name, 'datasets:read');

    const page = await admin.keys.list(org.slug, { limit: 10 });
    assert.deepEqual(page.items.map((k) => k.id), [created.id]);
    assert.equal((page.items[0] as unknown as Record<string, unknown>).key, undefined, 'listings never hold the secret');

    const renamed = await admin.keys.update(org.slug, created.id, { name: 'renamed' });
    assert.equal(renamed.name, 'renamed');
    assert.equal((await admin.keys.get(org.slug, created.id)).name, 'renamed');

    const valid = await admin.verify({ key: created.key, permission: 'datasets:read', resource: 'datasets/42' });
    assert.equal(valid.code, 'VALID');
    assert.equal(valid.valid, true);
    assert.equal(valid.key_id, created.id);
    assert.equal(valid.organization_id, org.id);
    assert.deepEqual(valid.metadata, { plan: 'pro' });
    assert.deepEqual(valid.grants, [{ permission: 'datasets:read', resource: 'datasets/42' }]);

    const elsewhere = await admin.verify({ key: created.key, permission: 'datasets:read', resource: 'datasets/43' });
    assert.equal(elsewhere.code, 'INSUFFICIENT_PERMISSIONS');
    assert.equal(elsewhere.valid, false);

    const withIp = await admin.verify({ key: created.key, ip: '203.0.113.7' });
    assert.equal(withIp.code, 'VALID');

    const rolled = await admin.keys.roll(org.slug, created.id, { grace_seconds: 0 });
    assert.equal(rolled.rolled_from, created.id);
    assert.equal((await admin.verify({ key: rolled.key })).code, 'VALID');
    assert.notEqual((await admin.verify({ key: created.key })).code, 'VALID');

    await admin.keys.revoke(org.slug, rolled.id);
    assert.equal((await admin.verify({ key: rolled.key })).code, 'REVOKED');
    assert.equal((await admin.verify({ key: 'kw_notakey' })).code, 'NOT_FOUND');
  });

  it("throws keyward's error body as KeywardError", async () => {
    await assert.rejects(admin.orgs.get(unique('missing')), (error: unknown) => {
      assert.ok(error instanceof KeywardError);
      assert.equal(error.status, 404);
      assert.equal(error.code, 'ORG_NOT_FOUND');
      assert.equal(error.body.statusCode, 404);
      assert.equal(error.body.error, 'Not Found');
      return true;
    });
    const anonymous = new Keyward({ baseUrl: url });
    await assert.rejects(anonymous.orgs.list(), (error: unknown) => {
      assert.ok(error instanceof KeywardError);
      assert.equal(error.status, 401);
      assert.equal(error.code, 'UNAUTHENTICATED');
      return true;
    });
  });

  it('throws KeywardUnavailableError when keyward cannot be reached', async () => {
    const nowhere = new Keyward({ baseUrl: 'http://127.0.0.1:9', apiKey: 'x', timeoutMs: 2000 });
    await assert.rejects(nowhere.verify({ key: 'kw_x' }), KeywardUnavailableError);
  });

  it('manages organizations, the catalog, teams, roles, groups and service accounts', async () => {
    const org = await freshOrg();
    assert.ok((await admin.orgs.list()).some((o) => o.id === org.id));
    const updated = await admin.orgs.update(org.slug, { name: 'Renamed', key_policy: { max_lifetime_days: 90 } });
    assert.equal(updated.name, 'Renamed');
    assert.equal(updated.key_policy.max_lifetime_days, 90);
    assert.ok((await admin.permissions.list(org.slug)).some((p) => p.name === 'datasets:read'));

    const team = await admin.teams.create(org.slug, { name: 'Analytics' });
    assert.equal((await admin.teams.get(org.slug, team.id)).name, 'Analytics');
    assert.deepEqual((await admin.teams.list(org.slug)).map((t) => t.id), [team.id]);
    assert.deepEqual(await admin.teams.members(org.slug, team.id), []);

    const role = await admin.roles.create(org.slug, { name: 'readers', grants: ['datasets:read'] });
    assert.deepEqual(role.grants.map((g) => g.name), ['datasets:read']);
    const edited = await admin.roles.update(org.slug, role.id, { description: 'read datasets' });
    assert.equal(edited.description, 'read datasets');
    assert.ok((await admin.roles.list(org.slug)).some((r) => r.id === role.id));

    const account = await admin.serviceAccounts.create(org.slug, { name: 'etl', description: 'nightly' });
    await admin.serviceAccounts.addRole(org.slug, account.id, role.id);
    assert.deepEqual(await admin.serviceAccounts.roles(org.slug, account.id), [role.id]);
    const disabled = await admin.serviceAccounts.update(org.slug, account.id, { enabled: false });
    assert.equal(disabled.enabled, false);
    assert.deepEqual((await admin.serviceAccounts.get(org.slug, account.id)).role_ids, [role.id]);

    const group = await admin.groups.create(org.slug, { name: 'pipelines' });
    await admin.groups.addRole(org.slug, group.id, role.id);
    await admin.groups.addMember(org.slug, group.id, { type: 'service_account', id: account.id });
    const read = await admin.groups.get(org.slug, group.id);
    assert.deepEqual(read.role_ids, [role.id]);
    assert.deepEqual(read.members, [{ type: 'service_account', id: account.id }]);
    assert.equal((await admin.groups.rename(org.slug, group.id, 'etl-pipelines')).name, 'etl-pipelines');
    await admin.groups.removeMember(org.slug, group.id, { type: 'service_account', id: account.id });
    await admin.groups.removeRole(org.slug, group.id, role.id);
    await admin.groups.delete(org.slug, group.id);
    assert.deepEqual(await admin.groups.list(org.slug), []);

    await admin.serviceAccounts.removeRole(org.slug, account.id, role.id);
    await admin.serviceAccounts.delete(org.slug, account.id);
    await admin.roles.delete(org.slug, role.id);
    await admin.teams.delete(org.slug, team.id);
    await admin.orgs.delete(org.slug);
    await assert.rejects(admin.orgs.get(org.slug), KeywardError);
  });

  it('invites a member who signs in, joins a team and reads their account', async () => {
    const org = await freshOrg();
    const email = `${unique('ada')}@example.com`;
    const invitation = await admin.invitations.create(org.slug, { email, role: 'member' });
    assert.match(invitation.token, /^kwi_/);
    assert.ok((await admin.invitations.list(org.slug)).some((i) => i.id === invitation.id));

    const anonymous = new Keyward({ baseUrl: url });
    const accepted = await anonymous.invitations.accept({
      token: invitation.token,
      name: 'Ada',
      password: 'correct horse battery',
    });
    assert.equal(accepted.organization_id, org.id);
    const members = await admin.members.list(org.slug);
    assert.deepEqual(members.map((m) => m.user.email), [email]);
    const userId = accepted.user.id;
    assert.equal((await admin.members.setRole(org.slug, userId, 'admin')).role, 'admin');
    assert.equal((await admin.members.get(org.slug, userId)).role, 'admin');

    const team = await admin.teams.create(org.slug, { name: 'Data' });
    await admin.teams.putMember(org.slug, team.id, userId, 'owner');
    assert.deepEqual((await admin.teams.members(org.slug, team.id)).map((m) => m.role), ['owner']);
    await admin.teams.removeMember(org.slug, team.id, userId);

    const session = await anonymous.session.login(email, 'correct horse battery');
    assert.match(session.token, /^kws_/);
    const ada = anonymous.withApiKey(session.token);
    const me = await ada.session.me();
    assert.equal(me.user.email, email);
    assert.deepEqual(me.organizations.map((o) => o.id), [org.id]);
    await ada.session.logout();
    await assert.rejects(ada.session.me(), (e: unknown) => e instanceof KeywardError && e.status === 401);

    await admin.members.remove(org.slug, userId);
    assert.deepEqual(await admin.members.list(org.slug), []);
  });

  it('reads, exports and checks the audit log', async () => {
    const org = await freshOrg();
    const key = await admin.keys.create(org.slug, { name: 'audited', scope: 'organization' });
    await admin.keys.revoke(org.slug, key.id);
    const page = await admin.audit.list(org.slug, { action: 'key.*' });
    assert.deepEqual(page.items.map((e) => e.action), ['key.revoked', 'key.created']);
    const exported = await admin.audit.export(org.slug);
    assert.ok(exported.length >= 3, 'the org, its permission and its key');
    assert.equal(exported.at(-1)?.action, 'key.revoked');
    const chain = await admin.audit.verify(org.slug);
    assert.equal(chain.ok, true);
    assert.ok(chain.checked >= 3);
  });
});
