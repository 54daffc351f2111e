// The signing hook. Request signing (DESIGN.md §5, "Request signing") arrives with the key
// work: it replaces the body of make_request_signer() with one that loads the key file once,
// then adds X-Formation-Address/-Timestamp/-Nonce/-Signature over
//   formation-request-v1\n<METHOD>\n<request.target_as_sent>\n<ts>\n<nonce>\n<sha256(body)>
// Until then no command sends a signed request; one that tries gets a clear exit 4.
#include <filesystem>
#include <system_error>

#include "api_client.hpp"

namespace form {

RequestSigner make_request_signer(const GlobalOptions& options) {
  return [key_file = options.key_file](Request& /*request*/) {
    std::error_code ec;
    if (!std::filesystem::exists(key_file, ec)) {
      throw CliError(Exit::kAuth, "no key file at " + key_file,
                     "pass --key FILE or set FORM_KEY to the key of your account");
    }
    throw CliError(Exit::kAuth, "request signing is not available in this version of form");
  };
}

}  // namespace form
