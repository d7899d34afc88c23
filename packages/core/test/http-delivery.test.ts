import { createHttpDelivery } from '../src/delivery/http-delivery';

describe('HttpDelivery', () => {
  it('When its pools are closed by two owners, then both closes resolve (undici itself rejects the second)', async () => {
    const http = createHttpDelivery();

    const closes = [http.close(), http.close()];

    await expect(Promise.all(closes)).resolves.toHaveLength(2);
    await expect(http.close()).resolves.not.toBeInstanceOf(Error);
  });
});
