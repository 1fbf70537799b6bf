import { ConfigError, loadConfig } from './config';

const base = { AUTH_MODE: 'dev' };

describe('LAB_IDP', () => {
  it('is off unless set to on: nothing falls back to the lab', () => {
    expect(loadConfig({ ...base }).lab).toBeUndefined();
    expect(loadConfig({ ...base, LAB_IDP: 'off' }).lab).toBeUndefined();
    expect(
      loadConfig({ ...base, KEYCLOAK_URL: 'http://kc', KEYCLOAK_CLIENT_SECRET: 's' }).lab,
    ).toBeUndefined();
  });

  it('hosts the lab realm with its own detector when on', () => {
    const config = loadConfig({ ...base, LAB_IDP: 'on', LAB_IDP_PORT: '18091' });
    expect(config.lab).toEqual({ realm: 'lab', port: 18091 });
    expect(config.detectionSources).toEqual([
      { provider: 'lab', tenant: 'lab', pull: { intervalMs: 1000, lookbackMs: 3_600_000 } },
    ]);
  });

  it('keeps a lab source DETECTION_SOURCES names, with its interval', () => {
    const config = loadConfig({ ...base, LAB_IDP: 'on', DETECTION_SOURCES: 'lab:lab:250' });
    expect(config.detectionSources).toEqual([{ provider: 'lab', tenant: 'lab', pull: { intervalMs: 250 } }]);
  });

  it.each([
    [{ LAB_IDP: 'yes' }, /LAB_IDP must be 'on' or 'off', not 'yes'/],
    [{ LAB_IDP: 'on', LAB_IDP_PORT: 'http' }, /LAB_IDP_PORT 'http' is not a port/],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, ...env })).toThrow(message);
  });
});
