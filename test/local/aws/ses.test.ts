import { describe, expect, it } from 'vitest';
import { sendEmailAccessRequests } from '../../../local/aws/ses';

describe('what SendEmail is authorized on', () => {
  it('asks SES for both identities of the sender, the configuration set and the template, with ses:FromAddress', () => {
    const requests = sendEmailAccessRequests({
      FromEmailAddress: 'Shop <noreply@shop.example>',
      Destination: { ToAddresses: ['buyer@example.com'] },
      ConfigurationSetName: 'set',
      Content: { Template: { TemplateName: 'welcome' } },
    });

    expect(requests.map((r) => r.resource)).toEqual([
      'arn:aws:ses:eu-west-2:000000000000:identity/noreply@shop.example',
      'arn:aws:ses:eu-west-2:000000000000:identity/shop.example',
      'arn:aws:ses:eu-west-2:000000000000:configuration-set/set',
      'arn:aws:ses:eu-west-2:000000000000:template/welcome',
    ]);
    expect(requests[0]?.context).toEqual({
      'ses:FromAddress': 'noreply@shop.example',
      'ses:FromDisplayName': 'Shop',
      'ses:Recipients': ['buyer@example.com'],
      'ses:ApiVersion': '2',
    });
  });
});
