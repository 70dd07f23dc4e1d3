#pragma once
// Checkpoints of trials in flight, as bytes. The group root captures one after every epoch (and
// when told to stop, after its current step) and sends it to rank 0, which writes it beside the
// database (runner/record/checkpoint_dir.h): rank 0 stays the only writer, and the ranks that
// train need no shared file system. A trial that runs again gets its checkpoint back with its
// assignment and goes on where it stopped.
#include <cstdint>
#include <string>

#include "runner/trial.h"

namespace runner {

// Everything a trial needs to go on as if it had never stopped. Tensors travel as raw bytes.
struct Checkpoint {
  std::string trial_id;
  std::int64_t stage = 0;         // the stage being trained (see AutoencoderImpl::stages)
  std::int64_t stage_epoch = 0;   // epochs of that stage finished
  std::int64_t series_epoch = 0;  // epochs finished over all stages: the series holds 1..this
  // Where an epoch stopped part-way: the first sample of its permutation not yet trained, or 0 at
  // an epoch boundary. The permutation is drawn again from `batch_order`.
  std::int64_t next_sample = 0;
  double loss_sum = 0;       // of the unfinished epoch so far
  double train_seconds = 0;  // spent in training steps so far, for samples_per_s
  std::string batch_order;   // std::mt19937_64 state, before the unfinished (or next) epoch's draw
  std::string cpu_rng, device_rng;  // LibTorch generator states (device_rng: GPU runs only)
  std::string parameters;           // the flat parameter buffer, float32
  std::int64_t adam_steps = 0;
  std::string adam_m, adam_v;  // Adam's moments, same layout as parameters
};

// The bytes of a checkpoint file: a magic, a format version, a CRC-32 of the rest, then the
// fields. Same architecture on every rank (Boost binary archive), as for all messages.
std::string encode_checkpoint(const Checkpoint& c);
// Throws std::runtime_error naming `where` if the bytes are not a whole checkpoint of this format.
Checkpoint decode_checkpoint(const std::string& bytes, const std::string& where);

// Where the checkpoint stands: what the scheduler compares to fuse trials that resume.
ResumePoint resume_point_of(const Checkpoint& c);

}  // namespace runner
