#pragma once
// Values to bytes and back with Boost.Serialization binary archives: the messages between ranks and
// the checkpoint files. All ranks run the same binary on the same architecture, so a binary
// archive is safe and small.
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/string.hpp>
#include <sstream>
#include <string>

namespace runner {

template <typename T>
std::string pack(const T& value) {
  std::ostringstream os;
  {
    boost::archive::binary_oarchive ar(os, boost::archive::no_header);
    ar << value;
  }
  return os.str();
}

template <typename T>
T unpack(const std::string& bytes) {
  std::istringstream is(bytes);
  boost::archive::binary_iarchive ar(is, boost::archive::no_header);
  T value;
  ar >> value;
  return value;
}

}  // namespace runner
