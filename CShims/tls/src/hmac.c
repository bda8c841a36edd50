#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "gwm_tls.h"

int gwm_hmac_sha1(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len, uint8_t out[20])
{
    unsigned int out_len = 0;
    if (key_len > INT32_MAX) return -1;
    return HMAC(EVP_sha1(), key, (int)key_len, data, len, out, &out_len) && out_len == 20 ? 0 : -1;
}
