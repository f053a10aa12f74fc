// The registration tests use when who is registered does not matter: Amal Haddad (a made-up
// person), asielstatushouder from Syria, gevestigd 2026-09-01. Tests that need more (an
// occupation, availability) set it on the result.
#pragma once

#include <string>

#include "inburgering/v1/intake.pb.h"

namespace inburgering::testing {

inline v1::RegisterStatushouderRequest SampleRegistration(const std::string& request_id,
                                                          const std::string& bsn) {
  v1::RegisterStatushouderRequest request;
  request.set_request_id(request_id);
  v1::Statushouder* s = request.mutable_statushouder();
  s->set_bsn(bsn);
  s->set_given_names("Amal");
  s->set_family_name("Haddad");
  s->set_birth_date("1990-04-12");
  s->set_gender(v1::GENDER_VROUW);
  s->set_type(v1::STATUSHOUDER_TYPE_ASIELSTATUSHOUDER);
  s->set_country_of_origin("SY");
  s->set_vestigingsdatum("2026-09-01");
  return request;
}

}  // namespace inburgering::testing
