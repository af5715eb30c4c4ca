import { describe, expect, it } from 'vitest';
import { classifyRequest } from './machine-detector';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';

describe('classifyRequest', () => {
  it.each([
    ['GET', CHROME, false, null],
    ['HEAD', CHROME, true, 'head'],
    ['GET', undefined, true, 'no_user_agent'],
    ['GET', 'Mozilla/5.0', true, 'apple_mpp'],
    ['GET', 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)', false, 'proxy:google'],
    ['GET', 'Mozilla/5.0 (compatible; BingPreview/1.0b)', true, 'scanner:microsoft'],
    ['GET', 'Proofpoint URL Defense', true, 'scanner:proofpoint'],
    ['GET', 'Mimecast URL protect', true, 'scanner:mimecast'],
    ['GET', 'Barracuda Sentinel (EE)', true, 'scanner:barracuda'],
    ['GET', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', true, 'bot'],
    ['GET', 'curl/8.5.0', true, 'http_client'],
    ['GET', 'python-requests/2.31', true, 'http_client'],
  ])('%s with %s: machine %s (%s)', (method, agent, machine, reason) => {
    expect(classifyRequest(method, agent)).toEqual({ machine, reason });
  });
});
