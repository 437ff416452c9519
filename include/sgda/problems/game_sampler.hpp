// A generated game drawn one sample at a time: what `sgda generate` writes straight into a file
// when the game is too large to hold (save_generated_game), and what generate_quadratic_game and
// generate_bilinear_game collect into an AffineGame, with the same bits.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sgda/problems/affine_game.hpp"

namespace sgda {

class GameSampler {
 public:
  // next(m, q) sets M_i (resized to D × D) and q_i of the next sample, i = 0, 1, ..., n − 1.
  using Next = std::function<void(Matrix& m, VectorRef q)>;
  // `prepare` does the generator's work before the first sample (the mean, the noise's group
  // means) and returns the Next that draws the samples; it runs at the first next(), so that a
  // writer can first claim the disk space of a game that takes hours to draw.
  GameSampler(Index samples, Index dim, std::vector<Block> blocks, std::string name,
              std::function<Next()> prepare)
      : samples_(samples),
        dim_(dim),
        blocks_(std::move(blocks)),
        name_(std::move(name)),
        prepare_(std::move(prepare)) {}

  Index num_samples() const { return samples_; }
  Index dim() const { return dim_; }
  const std::vector<Block>& blocks() const { return blocks_; }
  const std::string& name() const { return name_; }
  // Sample `drawn()`; a logic error once all n are drawn.
  void next(Matrix& m, VectorRef q);
  Index drawn() const { return drawn_; }

 private:
  Index samples_, dim_, drawn_ = 0;
  std::vector<Block> blocks_;
  std::string name_;
  std::function<Next()> prepare_;
  Next next_;
};

// The samples of generate_quadratic_game(options) and generate_bilinear_game(options), of any
// size that options.CheckToFile() accepts. Memory O(D²) beside the D × n offsets: the noise of
// every sample is drawn twice from the seed's stream, once here for its group means, once by
// next(), so drawing costs about twice the normals of a game held in memory.
GameSampler quadratic_game_sampler(const QuadraticGameOptions& options,
                                   std::optional<AffineGame::EigenMethod> method = std::nullopt);
GameSampler bilinear_game_sampler(const BilinearGameOptions& options,
                                  std::optional<AffineGame::EigenMethod> method = std::nullopt);

}  // namespace sgda
