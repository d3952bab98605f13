/** What the typed errors say, exactly, where the catalogue snapshot does not pin it. */
import { ConnectionIdNotSettableError, DittoError, RequestTimeoutError } from '../../lambdas/core/errors';

describe('typed errors', () => {
  it("is named 'DittoError' when thrown as the base class", () => {
    expect(new DittoError(400, 'x:y', 'm').name).toBe('DittoError');
  });

  it('leaves the description out of the JSON when there is none, rather than undefined', () => {
    expect(Object.keys(new DittoError(400, 'x:y', 'm').toJson())).toEqual(['status', 'error', 'message']);
    expect(new DittoError(400, 'x:y', 'm', 'd').toJson()).toStrictEqual({ status: 400, error: 'x:y', message: 'm', description: 'd' });
  });

  it('names the correlation-id of a timed out request only when there is one', () => {
    expect(new RequestTimeoutError(250).message).toBe('The request ran into a timeout after 250ms.');
    expect(new RequestTimeoutError(250, 'c-1').message).toBe("The request ran into a timeout after 250ms (correlation-id 'c-1').");
  });

  it('says why an id in a connection body is refused: generated (POST) or differing from the path (PUT)', () => {
    expect(new ConnectionIdNotSettableError(true)).toMatchObject({
      message: 'It is not allowed to provide an explicit ID for a connection.',
      description: 'Remove the ID from the connection as it will be generated.',
    });
    expect(new ConnectionIdNotSettableError(false)).toMatchObject({
      message: 'The ID in the body differs from the ID in the path.',
      description: 'Remove the ID from the body or make it equal to the ID in the path.',
    });
  });
});
