#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "gwm_tls.h"

int gwm_hmac_sha1(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len, uint8_t out[20])
{
    unsigned int out_len = 0;
    if (key_len > INT32_MAX) return -1;
    return HMAC(EVP_sha1(), key, (int)key_len, data, len, out, &out_len) && out_len == 20 ? 0 : -1;
}

int gwm_hash(const char *algorithm, const uint8_t *data, size_t len, uint8_t *out, size_t cap)
{
    const EVP_MD *md = EVP_get_digestbyname(algorithm);
    unsigned int n = 0;
    if (!md || cap < (size_t)EVP_MD_get_size(md)) return -1;
    return EVP_Digest(data, len, out, &n, md, NULL) == 1 ? (int)n : -1;
}
