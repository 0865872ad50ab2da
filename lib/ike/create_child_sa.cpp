// CREATE_CHILD_SA (placeholder, filled in below).
#include "ike/engine_impl.hpp"

namespace ikekit::ike {

void Engine::Impl::start_create_child(IkeSa& sa, const Task& t) { (void)sa; (void)t; }
void Engine::Impl::on_create_child_request(IkeSa& sa, Inbound& in) {
  send_error_notify_response(sa, in.hdr, wire::NotifyType::no_additional_sas);
}
void Engine::Impl::on_create_child_response(IkeSa& sa, Inbound& in) { (void)in; request_done(sa); }

}  // namespace ikekit::ike
