// The TypeScript client against a real kam-server, as an integration on Node uses it: run by
// tests/tests/typescript_client.rs with the compiled client (KAM_CLIENT, the path of its index.js),
// the server's address (KAM_URL) and an ADMIN key (KAM_KEY). Exits non-zero on the first surprise.
import assert from "node:assert/strict";

const { AccountService, Code, ConnectError, IdentityService, Role, createClient, kamTransport } = await import(
  process.env.KAM_CLIENT
);
const baseUrl = process.env.KAM_URL;
const key = process.env.KAM_KEY;
let signedIn = key;
const transport = kamTransport({ baseUrl, credential: () => signedIn });

const me = await createClient(IdentityService, transport).whoAmI({});
assert.deepEqual(me.roles, [Role.ADMIN], "the key is the first start's ADMIN key");

const accounts = createClient(AccountService, transport);
const created = await accounts.createAccount({ account: { displayName: "Pumps over gRPC-Web", region: "APAC" } });
assert.match(created.id, /^[0-9a-f-]{36}$/);
const found = await accounts.listAccounts({ query: "gRPC-Web" });
assert.deepEqual(
  found.accounts.map((account) => account.id),
  [created.id],
);

// The server's refusals arrive as ConnectErrors with the gRPC code and message.
const refusal = async (call) => {
  try {
    await call();
  } catch (error) {
    return ConnectError.from(error);
  }
  assert.fail("the call was not refused");
};
const invalid = await refusal(() => accounts.createAccount({ account: { displayName: "" } }));
assert.equal(invalid.code, Code.InvalidArgument);
assert.match(invalid.rawMessage, /account\.display_name/);

// Signed out: the credential is no longer sent.
signedIn = undefined;
const anonymous = await refusal(() => accounts.listAccounts({}));
assert.equal(anonymous.code, Code.Unauthenticated);

console.log(`ok: ${me.fullName} created and found ${created.id}; refusals InvalidArgument and Unauthenticated`);
