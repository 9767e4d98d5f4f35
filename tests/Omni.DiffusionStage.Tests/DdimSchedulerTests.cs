using Omni.DiffusionStage.Scheduling;
using static TorchSharp.torch;

namespace Omni.DiffusionStage.Tests;

public sealed class DdimSchedulerTests
{
    private const double Rel = 1e-6;

    private static readonly string[] RunKeys =
    [
        "leading,steps=1", "leading,steps=4", "leading,steps=20", "leading,steps=50",
        "trailing,steps=1", "trailing,steps=4", "trailing,steps=20", "trailing,steps=50",
    ];

    public static TheoryData<string> Runs => new(RunKeys);

    public static TheoryData<string, bool> RunsWithClipping()
    {
        var data = new TheoryData<string, bool>();
        foreach (var run in RunKeys)
        {
            data.Add(run, false);
            data.Add(run, true);
        }

        return data;
    }

    [Fact]
    public void CreateSchedule_LeadingSpacingAsManyStepsAsTrainingTimesteps_ArgumentExceptionNotAnIndexPastTheTable()
    {
        var scheduler = new DdimScheduler();

        var error = Assert.Throws<ArgumentException>(() => scheduler.CreateSchedule(scheduler.NumTrainTimesteps));

        Assert.Contains("leading timestep spacing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateSchedule_LeadingSpacingJustUnderTheTable_LastTimestepInIt()
    {
        var scheduler = new DdimScheduler();

        var schedule = scheduler.CreateSchedule(scheduler.NumTrainTimesteps / 2);

        Assert.Equal(scheduler.NumTrainTimesteps - 1, schedule.DiscreteTimesteps[0]);
    }

    [Fact]
    public void Constructor_ScaledLinearBetas_MatchFixtureProbes()
    {
        var scheduler = new DdimScheduler();

        foreach (var probe in SchedulerFixture.Ddim.GetProperty("betas_probe").EnumerateObject())
        {
            var index = int.Parse(probe.Name, System.Globalization.CultureInfo.InvariantCulture);
            Tolerance.AssertRelative([probe.Value.GetDouble()], [scheduler.Betas[index]], Rel, $"betas[{index}]");
        }

        foreach (var probe in SchedulerFixture.Ddim.GetProperty("alphas_cumprod_probe").EnumerateObject())
        {
            var index = int.Parse(probe.Name, System.Globalization.CultureInfo.InvariantCulture);
            Tolerance.AssertRelative([probe.Value.GetDouble()], [scheduler.AlphasCumprod[index]], Rel, $"alphas_cumprod[{index}]");
        }
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void SetTimesteps_FixtureRun_MatchesTimesteps(string run)
    {
        var reference = SchedulerFixture.DdimRun(run);

        var schedule = Scheduler(reference, clipSample: true).CreateSchedule(reference.GetProperty("num_inference_steps").GetInt32());

        Assert.Equal(reference.GetProperty("timesteps").Doubles(), schedule.Timesteps);
    }

    [Theory]
    [MemberData(nameof(RunsWithClipping))]
    public void StepWithPrediction_FixtureFirstStep_MatchesPrevAndOriginalSample(string run, bool clipSample)
    {
        using var scope = NewDisposeScope();
        var reference = SchedulerFixture.DdimRun(run);
        var firstStep = reference.GetProperty(clipSample ? "first_step_clip_sample_true" : "first_step_clip_sample_false");
        var schedule = Scheduler(reference, clipSample).CreateSchedule(reference.GetProperty("num_inference_steps").GetInt32());
        var (sampleValues, shape) = SchedulerFixture.Sample;
        var sample = tensor(sampleValues, shape, float32);
        var modelOutput = tensor(SchedulerFixture.ModelOutput.Values, shape, float32);

        var output = schedule.StepWithPrediction(modelOutput, 0, sample);

        Assert.Equal(firstStep.GetProperty("timestep").GetInt32(), schedule.DiscreteTimesteps[0]);
        Assert.Equal(firstStep.GetProperty("prev_timestep").GetInt32(), schedule.PreviousTimestep(0));
        Tolerance.AssertRelative([firstStep.GetProperty("alpha_prod_t").GetDouble()], [schedule.AlphaProdT(0)], Rel, "alpha_prod_t");
        Tolerance.AssertRelative([firstStep.GetProperty("alpha_prod_t_prev").GetDouble()], [schedule.AlphaProdTPrev(0)], Rel, "alpha_prod_t_prev");
        Tolerance.AssertRelative(
            firstStep.GetProperty("pred_original_sample").Doubles(),
            output.PredOriginalSample.to(float64).data<double>().ToArray(),
            Rel,
            "pred_original_sample");
        Tolerance.AssertRelative(
            firstStep.GetProperty("prev_sample").Doubles(),
            output.PrevSample.to(float64).data<double>().ToArray(),
            Rel,
            "prev_sample");
    }

    private static DdimScheduler Scheduler(System.Text.Json.JsonElement run, bool clipSample) => new(new DdimSchedulerOptions
    {
        TimestepSpacing = run.GetProperty("timestep_spacing").GetString() == "trailing" ? TimestepSpacing.Trailing : TimestepSpacing.Leading,
        ClipSample = clipSample,
    });
}
