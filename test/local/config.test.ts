import { describe, expect, it } from 'vitest';
import {
  cdkContextFromEnv,
  localSynthContext,
  parseStartArgs,
  readLocalConfig,
  yayCredentialsFromEnv,
} from '../../local/config';
import { DEFAULT_SANDBOX_CREDENTIALS } from '../../local/yay-sandbox/server';
import { ConfigInvalid } from '../../shared/errors';

describe('parseStartArgs', () => {
  it('reads repeated -c/--context key=value pairs as strings, splitting at the first "="', () => {
    const args = parseStartArgs([
      '-c',
      'provisioning:stores={"shop.example.com":{"storeFront":"x"}}',
      '--context=provisioning:paymentWindowDays=3',
      '--json',
    ]);
    expect(args).toEqual({
      json: true,
      context: {
        'provisioning:stores': '{"shop.example.com":{"storeFront":"x"}}',
        'provisioning:paymentWindowDays': '3',
      },
    });
  });

  it('has no context and no JSON logs when given nothing', () => {
    expect(parseStartArgs([])).toEqual({ json: false, context: {} });
  });

  it.each([
    [['-c', 'provisioning:stores'], /^option -c must be <context key>=<value>, got "provisioning:stores"$/],
    [['-c', '=value'], /^option -c must be <context key>=<value>, got "=value"$/],
    [['--frobnicate'], /--frobnicate.*usage: npm start -- \[--json\] \[-c <context key>=<value>\]/],
    [['extra'], /extra.*usage: npm start/],
  ])('refuses %j with a ConfigInvalid naming the option', (argv, message) => {
    expect(() => parseStartArgs(argv)).toThrow(ConfigInvalid);
    expect(() => parseStartArgs(argv)).toThrow(message);
  });
});

describe('cdkContextFromEnv', () => {
  it('reads CDK_CONTEXT_JSON as the CDK CLI sets it: a JSON object of context values', () => {
    expect(
      cdkContextFromEnv({ CDK_CONTEXT_JSON: '{"yay:storeFront":"x","provisioning:stores":{}}' }),
    ).toEqual({
      'yay:storeFront': 'x',
      'provisioning:stores': {},
    });
    expect(cdkContextFromEnv({})).toEqual({});
  });

  it.each(['{not json', '["yay:storeFront"]', '42'])(
    'refuses CDK_CONTEXT_JSON=%s naming the variable',
    (raw) => {
      expect(() => cdkContextFromEnv({ CDK_CONTEXT_JSON: raw })).toThrow(
        /^environment variable CDK_CONTEXT_JSON must be a JSON object of context values, got /,
      );
    },
  );
});

describe('localSynthContext', () => {
  it('layers local defaults under CDK_CONTEXT_JSON under -c', () => {
    const context = localSynthContext(
      { 'yay:storeFront': 'from-defaults', 'yay:apiBaseUrl': 'https://api.yay.com' },
      { CDK_CONTEXT_JSON: '{"yay:storeFront":"from-env","provisioning:stores":"from-env"}' },
      { 'provisioning:stores': 'from-cli' },
    );
    expect(context).toEqual({
      'yay:apiBaseUrl': 'https://api.yay.com',
      'yay:storeFront': 'from-env',
      'provisioning:stores': 'from-cli',
    });
  });
});

describe('yayCredentialsFromEnv', () => {
  it("takes each credential that is set (trimmed) and the sandbox's default for the others", () => {
    const env = { YAY_RESELLER: ' my-reseller ', YAY_USER: '', YAY_PASSWORD: undefined };

    const credentials = yayCredentialsFromEnv(env);

    expect(credentials).toEqual({
      reseller: 'my-reseller',
      user: DEFAULT_SANDBOX_CREDENTIALS.user,
      password: DEFAULT_SANDBOX_CREDENTIALS.password,
    });
    expect(readLocalConfig(env).yayCredentials).toEqual(credentials);
  });
});
