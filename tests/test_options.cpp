// The option tables (include/sgda/options.hpp) on a toy struct, and the rules every real table
// keeps: a key applies where its conditions say, the table's ranges are IsValid's, values read
// in the table's order, errors name the C++ field.
#include <catch2/catch.hpp>
#include <set>

#include "sgda/io/run_config.hpp"
#include "sgda/options.hpp"
#include "sgda/registry.hpp"
#include "sgda/solver.hpp"

namespace sgda {
namespace {

enum class Shape { kRound, kSquare };

}  // namespace

template <>
const std::vector<EnumValue<Shape>>& enum_values<Shape>() {
  static const std::vector<EnumValue<Shape>> v = {{Shape::kRound, "round", "a circle"},
                                                  {Shape::kSquare, "square", "a square"}};
  return v;
}

namespace {

struct Inner {
  int corners = 4;
  static const OptionTable<Inner>& table() {
    static const OptionTable<Inner> t("Inner", {field("corners", &Inner::corners, "corners")
                                                    .bounds(3, false, 12, false)
                                                    .when("shape", {Shape::kSquare})});
    return t;
  }
};

struct Toy {
  Shape shape = Shape::kRound;
  double radius = 1.0;
  std::int64_t count = 0;
  std::optional<double> share;
  bool on = true;
  Inner inner;
  static const OptionTable<Toy>& table() {
    static const OptionTable<Toy> t = [] {
      OptionTable<Toy> table(
          "Toy",
          {
              field("shape", &Toy::shape, "the shape"),
              field("radius", &Toy::radius, "the radius").above(0).when("shape", {Shape::kRound}),
              field("count", &Toy::count, "how many").at_least(0).or_zero("none"),
              field("share", &Toy::share, "a share").bounds(0, true, 1, false).defaults_to("1/n"),
              field("on", &Toy::on, "a switch"),
              nest(&Toy::inner, "inner", Inner::table()),
          });
      table.check_layers(
          [](const auto& given) -> std::optional<std::pair<std::string, std::string>> {
            bool count = false, share = false;
            for (const auto& [key, value] : given)
              count = count || key == "count", share = share || key == "share";
            if (count && share)
              return std::pair{std::string("share"), std::string("not with count")};
            return std::nullopt;
          });
      return table;
    }();
    return t;
  }
};

GivenValue flag(const std::string& key, const std::string& text) {
  return {key, "--" + key,
          [text](FieldType type, const std::string& accepted, std::string* problem) {
            return parse_text(type, text, accepted, problem);
          }};
}

std::string apply(Toy& toy, const std::vector<GivenValue>& given) {
  try {
    apply_values(Toy::table(), toy, given, [](const GivenValue& g, const std::string& problem) {
      return InputError(g.where + ": " + problem);
    });
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a row takes its type, choices and default from its member", "[options]") {
  const auto& rows = Toy::table().rows();
  REQUIRE(rows.size() == 6);
  CHECK(rows[0].type == FieldType::kChoice);
  CHECK(rows[0].choices == std::vector<std::string>{"round", "square"});
  CHECK(rows[0].choice_summaries == std::vector<std::string>{"a circle", "a square"});
  CHECK(rows[0].default_text == "round");
  CHECK(rows[1].type == FieldType::kNumber);
  CHECK(rows[1].default_text == "1");
  CHECK(rows[2].type == FieldType::kInteger);
  CHECK(rows[3].default_text == "1/n");  // an optional member: what unset means
  CHECK(rows[4].type == FieldType::kBoolean);
  CHECK(rows[4].default_text == "true");
  // A nested row: reached through the member, named for errors at both levels.
  CHECK(rows[5].member == "inner.corners");
  CHECK(rows[5].names == std::vector<std::string>{"Inner::corners", "Toy::inner.corners"});
  CHECK(Toy::table().row_named("Inner::corners") == &rows[5]);
}

TEST_CASE("accepted texts and checks come from the range", "[options]") {
  const auto& rows = Toy::table().rows();
  CHECK(accepted_text(rows[1]) == "a number > 0");
  CHECK(accepted_text(rows[2]) == "a non-negative integer (0 = none)");
  CHECK(accepted_text(rows[3]) == "a number in (0, 1]");
  CHECK(accepted_text(rows[5]) == "an integer from 3 to 12");
  CHECK(check_value(rows[1], FieldValue(0.0)) == "must be a number > 0, got 0");
  CHECK(check_value(rows[1], FieldValue(std::int64_t{2})).empty());  // integers are numbers
  CHECK(check_value(rows[3], FieldValue(1.0)).empty());
  CHECK(check_value(rows[3], FieldValue(0.0)) == "must be a number in (0, 1], got 0");
  CHECK(check_value(rows[0], FieldValue(std::string("squre"))) ==
        "unknown \"squre\" (did you mean \"square\"?); accepted: round, square");
  CHECK(check_value(rows[1], FieldValue(std::nan(""))) == "must be a number > 0, got nan");
}

TEST_CASE("IsValid is the table: only the rows that apply, errors naming the C++ field",
          "[options]") {
  Toy toy;
  toy.inner.corners = 100;  // applies only to squares: not checked for a round toy
  CHECK_FALSE(Toy::table().check(toy));
  toy.shape = Shape::kSquare;
  const auto error = Toy::table().check(toy);
  REQUIRE(error);
  CHECK(error->message() == "Toy::inner.corners: must be an integer from 3 to 12, got 100");
  toy.inner.corners = 4;
  toy.radius = -1;  // applies only to round toys
  CHECK_FALSE(Toy::table().check(toy));
  // An optional left unset is not checked; set, it is.
  toy.share = 2.0;
  CHECK(Toy::table().check(toy)->field == "Toy::share");
}

TEST_CASE("values are applied in the table's order, where they apply, checked", "[options]") {
  Toy toy;
  // The selector first, whatever the order given: corners applies once shape is square.
  CHECK(apply(toy, {flag("corners", "6"), flag("shape", "square")}) == "");
  CHECK(toy.shape == Shape::kSquare);
  CHECK(toy.inner.corners == 6);
  // A key that does not apply says where it does, and what the selector brings here.
  CHECK(apply(toy, {flag("radius", "2")}) ==
        "--radius: applies only to shape = \"round\" (here shape = \"square\", whose keys are "
        "corners)");
  CHECK(apply(toy, {flag("count", "-1")}) ==
        "--count: must be a non-negative integer (0 = none), got -1");
  CHECK(apply(toy, {flag("count", "x")}) ==
        "--count: \"x\" is not an integer; accepted a non-negative integer (0 = none)");
  CHECK(apply(toy, {flag("count", "99999999999999999999")}) ==
        "--count: 99999999999999999999 is out of range; accepted an integer below 2^63");
  CHECK(apply(toy, {flag("on", "yes")}) ==
        "--on: \"yes\" is not a boolean; accepted true or false");
  // The table's layer check sees the values given together.
  CHECK(apply(toy, {flag("count", "2"), flag("share", "0.5")}) == "--share: not with count");
  CHECK(apply(toy, {flag("share", "0.5")}) == "");
  CHECK(toy.share == 0.5);
  // The values that apply, in order; an unset optional is left out.
  Toy fresh;
  std::vector<std::string> keys;
  for (const auto& [key, value] : Toy::table().values(fresh)) keys.push_back(key);
  CHECK(keys == std::vector<std::string>{"shape", "radius", "count", "on"});
}

TEST_CASE("enums: to_string, from_string and parse_enum read one list", "[options]") {
  CHECK(to_string(Shape::kSquare) == "square");
  Shape s = Shape::kRound;
  CHECK(from_string("square", &s));
  CHECK(s == Shape::kSquare);
  CHECK_FALSE(from_string("Square", &s));
  CHECK_THROWS_WITH(parse_enum<Method>("l-svrg"),
                    "unknown \"l-svrg\" (did you mean \"l-svrgda\"?); accepted: sgda, l-svrgda, "
                    "qsgda, diana-sgda, vr-diana-sgda, coordinate-sgda, sega-sgda");
  for (const std::string& name : enum_names<Method>())
    CHECK(to_string(parse_enum<Method>(name)) == name);
}

TEST_CASE("every table of problem files: defaults valid, keys unique where they apply",
          "[options]") {
  // The defaults of every options struct pass its own checks.
  CHECK_FALSE(EstimatorOptions{}.Check());
  CHECK_FALSE(SolverOptions{}.Check());
  CHECK_FALSE(StepRuleOptions{}.Check());
  CHECK_FALSE(RegularizerOptions{}.Check());
  CHECK_FALSE(QuadraticGameOptions{}.Check());
  CHECK_FALSE(BilinearGameOptions{}.Check());
  for (const RunSection& section : run_sections()) {
    INFO(section.name);
    std::set<std::string> docs;
    for (const auto& row : section.table->rows()) {
      INFO(row.key);
      CHECK_FALSE(row.doc.empty());
      CHECK_FALSE(row.names.empty());
      // Each row has a default or is required (docs/options.md shows one of them).
      CHECK((row.required || !row.default_text.empty() || row.type == FieldType::kString ||
             row.type == FieldType::kPath));
      // A key repeats only under other conditions (the [problem] type's options).
      CHECK(docs.insert(row.key + " when " +
                        [&] {
                          std::string w;
                          for (const Condition& c : row.conditions)
                            w += c.key + "=" + join(c.values) + ";";
                          return w;
                        }())
                .second);
    }
  }
}

}  // namespace sgda
