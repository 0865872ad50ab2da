// EAP packets (RFC 3748 4) and the EAP-MSCHAPv2 method data (draft-kamath-pppext-eap-
// mschapv2-02, 2), parsed as views into the caller's buffer and written into caller
// space. Every length on the wire is checked before use; a packet that fails a check is
// dropped by the state machines with the DropReason its parser names.
//
//   0                   1                   2                   3
//   | Code          | Identifier    |            Length             |
//   | Type          | Type-Data ...                  (Request/Response only)
//
// MS-CHAPv2 inside Type 26:
//   | OpCode        | MS-CHAPv2-ID  |  MS-Length (Length - 5)       | Data ...
//   Challenge (1): Value-Size = 16, Challenge[16], Name
//   Response  (2): Value-Size = 49, Peer-Challenge[16], Reserved[8] = 0, NT-Response[24],
//                  Flags = 0, Name
//   Success   (3): request: "S=<40 hex> M=<msg>"; response: the OpCode alone
//   Failure   (4): request: "E=eee R=r C=<32 hex> V=vvv M=<msg>"; response: OpCode alone
#pragma once

#include "base/bytes.hpp"
#include "base/result.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace ikekit::eap {

// RFC 3748 4: Code.
enum class Code : uint8_t { request = 1, response = 2, success = 3, failure = 4 };
// RFC 3748 5 and the IANA registry: the Types we speak.
enum class Type : uint8_t {
  identity = 1,
  notification = 2,
  nak = 3, // Legacy Nak, in responses only (RFC 3748 5.3.1)
  mschapv2 = 26,
};
// draft-kamath-pppext-eap-mschapv2 2: OpCode.
enum class OpCode : uint8_t { challenge = 1, response = 2, success = 3, failure = 4 };

std::string_view code_name(Code c);
std::string_view type_name(uint8_t type); // "identity", "mschapv2", or "unknown"
std::string_view opcode_name(OpCode op);

inline constexpr size_t kHeaderSize = 4;         // Code, Identifier, Length
inline constexpr size_t kMaxPacketSize = 65535;  // Length is 16 bits
inline constexpr size_t kChallengeSize = 16;     // RFC 2759 4: Challenge and Peer-Challenge
inline constexpr size_t kNtResponseSize = 24;    // RFC 2759 8.1
inline constexpr size_t kResponseValueSize = 49; // RFC 2759 4: Response value
inline constexpr size_t kMsChapV2HeaderSize = 4; // OpCode, MS-CHAPv2-ID, MS-Length

struct Packet {
  Code code = Code::request;
  uint8_t identifier = 0;
  // Request and Response: the Type and its data; none for Success and Failure.
  std::optional<uint8_t> type;
  ByteView type_data;
  ByteView bytes; // the whole packet (Length bytes; trailing padding excluded)
};

// RFC 3748 4: Length covers the packet; octets past it are padding and ignored (4.1),
// a Length beyond the input is an error. Success/Failure have no Type (4.2).
Result<Packet> parse_packet(ByteView in);

struct MsChapV2 {
  OpCode opcode = OpCode::challenge;
  uint8_t ms_chapv2_id = 0;
  // Challenge: 16 bytes; Response: 49 bytes; empty for the other OpCodes.
  ByteView value;
  // Challenge and Response: the Name; Success and Failure requests: the message text.
  ByteView name_or_message;
};

// The Type-Data of a Type 26 packet. `code` selects the layout: Success and Failure
// responses carry the OpCode alone (draft 2.4, 2.6).
Result<MsChapV2> parse_mschapv2(Code code, ByteView type_data);

// The fields of a Response value (RFC 2759 4).
struct ResponseValue {
  ByteView peer_challenge; // 16
  ByteView nt_response;    // 24
};
Result<ResponseValue> parse_response_value(ByteView value);

// Encoders: write into `out`, return the bytes written.
Result<size_t> write_typed(MutBytes out, Code code, uint8_t identifier, Type type,
                           ByteView type_data);
Result<size_t> write_result(MutBytes out, Code code, uint8_t identifier); // Success, Failure
// Legacy Nak (RFC 3748 5.3.1) proposing `desired`.
Result<size_t> write_nak(MutBytes out, uint8_t identifier, Type desired);
// A full Type 26 packet: header, OpCode, MS-CHAPv2-ID, MS-Length, then the optional
// Value-Size + value and the trailing name or message. With `short_form` (Success and
// Failure responses) only the OpCode follows the Type.
struct MsChapV2Out {
  OpCode opcode = OpCode::challenge;
  uint8_t ms_chapv2_id = 0;
  ByteView value;           // written after a Value-Size octet when not empty
  ByteView name_or_message; // the trailing bytes
  bool short_form = false;
};
Result<size_t> write_mschapv2(MutBytes out, Code code, uint8_t identifier, const MsChapV2Out& m);

} // namespace ikekit::eap
