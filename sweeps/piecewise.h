#pragma once
// Piecewise-constant schedules of a per-member key over epochs, written "epoch:value,...": from
// each epoch on (1-based, within the stage), the value given; before the first, the key's own.
// train.lr_schedule and loss.beta_schedule replay what population-based training found.
#include <cstdint>
#include <string>
#include <vector>

namespace sweeps {

struct Piece {
  std::int64_t epoch = 1;
  double value = 0;
};

// The pieces of `text`, epochs strictly increasing from 1 on, values finite and >= `min`;
// std::invalid_argument saying what is wrong otherwise. "" has none.
std::vector<Piece> parse_pieces(const std::string& text, double min);
// The value at `epoch`: the last piece's at or before it, or `base` before the first.
double piecewise_at(const std::vector<Piece>& pieces, std::int64_t epoch, double base);
// The text of `pieces`, each value as the shortest text that reads back to it.
std::string pieces_text(const std::vector<Piece>& pieces);

}  // namespace sweeps
